// The start spec's `remote` object: where a remote job runs and how ssh reaches it. The engine
// validates it (src/engine/remote.rs); this only carries it.
using System.Collections.Generic;
using System.Text.Json;

namespace RJob.Interop
{
    public sealed class RemoteSpec
    {
        public string Host { get; set; } = "";
        public string? User { get; set; }
        public int? Port { get; set; }
        public string? KeyFile { get; set; }
        /// <summary>ssh options, each passed as -o Key=Value.</summary>
        public IDictionary<string, string>? Options { get; set; }
        /// <summary>rjob-supervisor's path on the host; null: ~/.local/lib/rjob/rjob-supervisor.</summary>
        public string? SupervisorPath { get; set; }

        /// <summary>As the start spec's "remote" property.</summary>
        internal void Write(Utf8JsonWriter w)
        {
            w.WritePropertyName("remote");
            WriteObject(w);
        }

        /// <summary>The object alone (rjob_ssh_command).</summary>
        internal string ToJson()
        {
            using var ms = new System.IO.MemoryStream();
            using (var w = new Utf8JsonWriter(ms)) WriteObject(w);
            return System.Text.Encoding.UTF8.GetString(ms.ToArray());
        }

        private void WriteObject(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("host", Host);
            if (User != null) w.WriteString("user", User);
            if (Port is int p) w.WriteNumber("port", p);
            if (KeyFile != null) w.WriteString("keyFile", KeyFile);
            if (Options != null)
            {
                w.WriteStartObject("options");
                foreach (var kv in Options) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            if (SupervisorPath != null) w.WriteString("supervisorPath", SupervisorPath);
            w.WriteEndObject();
        }
    }
}
