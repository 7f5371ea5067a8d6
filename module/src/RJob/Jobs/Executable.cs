// Finds the executable for Start-RJob -FilePath the way a shell would, without Get-Command's
// cost (about 9 ms a call, most of a native job's start).
using System;
using System.IO;
using System.Runtime.Versioning;

namespace RJob.Jobs
{

    internal static class Executable
    {
        /// <summary>The full path of an executable file: a path is checked as it is, a bare
        /// name is looked up on PATH. Null when there is none.</summary>
        public static string? Find(string nameOrPath, string? searchPath, string currentDirectory)
        {
            if (nameOrPath.Contains('/'))
            {
                var full = Path.GetFullPath(nameOrPath, currentDirectory);
                return IsExecutableFile(full) ? full : null;
            }
            foreach (var dir in (searchPath ?? "").Split(':'))
            {
                // An empty PATH entry means the current directory, as in POSIX shells.
                var candidate = Path.Combine(dir.Length == 0 ? currentDirectory : dir, nameOrPath);
                if (IsExecutableFile(candidate)) return Path.GetFullPath(candidate);
            }
            return null;
        }

        private static bool IsExecutableFile(string path)
        {
            try
            {
                if (!File.Exists(path)) return false;
                const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
                return (File.GetUnixFileMode(path) & anyExecute) != 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
