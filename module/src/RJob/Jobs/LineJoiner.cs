// Joins the pieces of a long line (records marked Continued) as bytes, per stream, so a line is
// decoded once, whole: a character split across pieces stays intact.
using System;
using System.Collections.Generic;
using RJob.Interop;

namespace RJob
{
    internal sealed class LineJoiner
    {
        private readonly Dictionary<byte, List<byte[]>> _pieces = new();

        /// <summary>The whole line once its last piece arrives; null while it goes on.</summary>
        public byte[]? Add(OutputRecord r)
        {
            if (r.Continued)
            {
                if (!_pieces.TryGetValue(r.Stream, out var list)) _pieces[r.Stream] = list = new List<byte[]>();
                list.Add(r.Data);
                return null;
            }
            if (!_pieces.Remove(r.Stream, out var earlier)) return r.Data;
            int total = r.Data.Length;
            foreach (var p in earlier) total += p.Length;
            var line = new byte[total];
            int at = 0;
            foreach (var p in earlier) { p.CopyTo(line, at); at += p.Length; }
            r.Data.CopyTo(line, at);
            return line;
        }
    }
}
