// The three non-public members of System.Management.Automation that RJob uses, all of them the
// ones PowerShell's own remoting uses to carry an ErrorRecord across a process boundary whole.
// Each is looked up once; when a future pwsh renames one, RJob falls back to public API and loses
// only detail (script position), never the error.
using System;
using System.Management.Automation;
using System.Reflection;

namespace RJob.Records
{
    internal static class SmaInternals
    {
        private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic;
        private const BindingFlags Static = BindingFlags.Static | BindingFlags.NonPublic;

        // Makes the serializer include InvocationInfo (script position, command) with the record.
        private static readonly PropertyInfo? s_serializeExtendedInfo =
            typeof(ErrorRecord).GetProperty("SerializeExtendedInfo", Instance);

        // Rebuilds an ErrorRecord from its serialized form, as Receive-Job does for remote jobs.
        private static readonly MethodInfo? s_fromPSObject =
            typeof(ErrorRecord).GetMethod("FromPSObjectForRemoting", Static, null, new[] { typeof(PSObject) }, null);

        // Keeps a record's own InvocationInfo when a cmdlet writes it (Receive-Job sets it too).
        private static readonly PropertyInfo? s_preserveInvocationInfoOnce =
            typeof(ErrorRecord).GetProperty("PreserveInvocationInfoOnce", Instance);

        internal static void IncludeInvocationInfo(ErrorRecord record) => s_serializeExtendedInfo?.SetValue(record, true);

        internal static void PreserveInvocationInfo(ErrorRecord record) => s_preserveInvocationInfoOnce?.SetValue(record, true);

        /// <summary>The ErrorRecord a serialized one stood for; the exception is a RemoteException
        /// carrying the original's type and message, as with Start-Job.</summary>
        internal static ErrorRecord ErrorRecordFrom(PSObject serialized)
        {
            if (s_fromPSObject != null)
            {
                try
                {
                    if (s_fromPSObject.Invoke(null, new object[] { serialized }) is ErrorRecord record) return record;
                }
                catch (TargetInvocationException)
                {
                    // Not the shape remoting writes: rebuilt from public properties below.
                }
            }
            return PublicErrorRecordFrom(serialized);
        }

        private static ErrorRecord PublicErrorRecordFrom(PSObject serialized)
        {
            object? exception = serialized.Properties["Exception"]?.Value;
            string message = (exception as PSObject)?.Properties["Message"]?.Value?.ToString() ?? serialized.ToString();
            var remote = new RemoteException(message);
            string id = serialized.Properties["FullyQualifiedErrorId"]?.Value?.ToString() ?? "RJobJobError";
            var category = LanguagePrimitives.TryConvertTo(serialized.Properties["ErrorCategory_Category"]?.Value, out ErrorCategory c)
                ? c : ErrorCategory.NotSpecified;
            return new ErrorRecord(remote, id, category, serialized.Properties["TargetObject"]?.Value);
        }
    }
}
