// Joins the pieces of long lines (records with Continued set) per stream, as bytes, so a line is
// decoded once, whole. The state lives with the job: a read that stops mid-line resumes there.
using System;
using System.IO;
using RJob.Interop;

namespace RJob.Jobs
{
    internal sealed class LineJoiner
    {
        /// <summary>A text line longer than this is handed on in pieces of this size, so one
        /// endless line cannot exhaust memory (and stays under .NET's largest string). Lines up to
        /// it come back whole. Records (stream 2) are always joined whole.</summary>
        internal const int MaxTextLine = 256 << 20;

        private readonly MemoryStream?[] _partial = new MemoryStream?[3];

        /// <summary>Calls <paramref name="line"/> for each complete line the record finishes.</summary>
        internal void Feed(in OutputRecord record, Action<byte, byte[]> line)
        {
            int s = Math.Min((int)record.Stream, 2);
            var partial = _partial[s];
            if (record.Continued)
            {
                partial ??= _partial[s] = new MemoryStream();
                partial.Write(record.Data, 0, record.Data.Length);
                if (s < 2 && partial.Length >= MaxTextLine) line(record.Stream, Take(s, Utf8Boundary(partial)));
                return;
            }
            if (partial == null || partial.Length == 0)
            {
                line(record.Stream, record.Data);
                return;
            }
            partial.Write(record.Data, 0, record.Data.Length);
            line(record.Stream, Take(s, (int)partial.Length));
        }

        /// <summary>Hands on what is left of unfinished lines (the job has ended).</summary>
        internal void Flush(Action<byte, byte[]> line)
        {
            for (int s = 0; s < _partial.Length; s++)
            {
                if (_partial[s] is MemoryStream p && p.Length > 0) line((byte)s, Take(s, (int)p.Length));
            }
        }

        // The first n bytes of stream s's partial line; the rest stays for the next piece, moved
        // to the front of the same buffer (copying the whole partial line out and back in cost
        // two copies of up to MaxTextLine per piece).
        private byte[] Take(int s, int n)
        {
            var partial = _partial[s]!;
            byte[] buf = partial.GetBuffer();
            int rest = (int)partial.Length - n;
            byte[] head = buf.AsSpan(0, n).ToArray();
            Buffer.BlockCopy(buf, n, buf, 0, rest);
            partial.SetLength(rest);
            partial.Position = rest;
            if (partial.Capacity > MaxTextLine && rest == 0) _partial[s] = null;
            return head;
        }

        // Where to cut a long text line without splitting a UTF-8 character.
        private static int Utf8Boundary(MemoryStream partial)
        {
            byte[] buf = partial.GetBuffer();
            int end = (int)partial.Length;
            int i = end;
            while (i > 0 && end - i < 4 && (buf[i - 1] & 0xC0) == 0x80) i--;
            if (i > 0 && end - i < 4 && buf[i - 1] >= 0xC0)
            {
                int need = buf[i - 1] >= 0xF0 ? 4 : buf[i - 1] >= 0xE0 ? 3 : 2;
                if (end - (i - 1) < need) return i - 1;
            }
            return end;
        }
    }
}
