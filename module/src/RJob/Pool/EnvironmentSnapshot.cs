// The part of an environment that a pwsh reads only when it starts (culture, time zone, the .NET
// runtime's knobs, module and profile paths, the loader): a worker started under one snapshot
// cannot honour a job whose caller has another, so such a job takes the cold path. Everything
// else is applied by the worker when its job arrives (Host/JobHost.cs).
using System;
using System.Collections.Generic;

namespace RJob.Pool
{
    internal sealed class EnvironmentSnapshot : IEquatable<EnvironmentSnapshot>
    {
        private static readonly string[] Exact = { "LANG", "LANGUAGE", "TZ", "PSModulePath", "HOME", "TMPDIR", "GLIBC_TUNABLES", "TERM" };
        private static readonly string[] Prefixes = { "LC_", "DOTNET_", "COMPlus_", "CORECLR_", "POWERSHELL_", "PSHOME", "XDG_", "LD_", "MALLOC_" };

        private readonly SortedDictionary<string, string> _values = new(StringComparer.Ordinal);

        internal static EnvironmentSnapshot Of(IDictionary<string, string>? env)
        {
            var s = new EnvironmentSnapshot();
            if (env == null) return s;
            foreach (var (k, v) in env)
            {
                if (StartOnly(k)) s._values[k] = v;
            }
            return s;
        }

        internal static bool StartOnly(string name)
        {
            if (Array.IndexOf(Exact, name) >= 0) return true;
            foreach (var p in Prefixes)
            {
                if (name.StartsWith(p, StringComparison.Ordinal)) return true;
            }
            return false;
        }

        public bool Equals(EnvironmentSnapshot? other)
        {
            if (other == null || other._values.Count != _values.Count) return false;
            foreach (var (k, v) in _values)
            {
                if (!other._values.TryGetValue(k, out var o) || o != v) return false;
            }
            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as EnvironmentSnapshot);

        public override int GetHashCode() => _values.Count;
    }
}
