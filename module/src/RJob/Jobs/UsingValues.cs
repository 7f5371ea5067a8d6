// $using: values, taken when Start-RJob runs, as Start-Job and ThreadJob take them: each
// $using:name in the script (nested script blocks included) is read from the caller's scope and
// passed under the key PowerShell itself uses to bind it in the job. A variable that does not
// exist is an error now, at start, as with Start-Job, not a $null later in the job.
using System;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;

namespace RJob.Jobs
{
    internal static class UsingValues
    {
        /// <summary>The values by key; null when the script uses none. Throws a RuntimeException
        /// carrying the error record for an unknown variable or an unsupported expression.</summary>
        internal static Hashtable? Collect(Ast script, PSCmdlet cmdlet)
        {
            Hashtable? values = null;
            foreach (var ast in script.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true))
            {
                var usingAst = (UsingExpressionAst)ast;
                if (usingAst.SubExpression is not VariableExpressionAst variable)
                {
                    throw Error($"Cannot get the value of the Using expression {usingAst.Extent.Text}. Start-RJob supports only variables after $using:.",
                        "UsingExpressionNotSupported", usingAst);
                }
                values ??= new Hashtable();
                string key = Key(usingAst);
                if (values.ContainsKey(key)) continue;
                var path = variable.VariablePath;
                if (path.IsDriveQualified)
                {
                    values[key] = cmdlet.GetVariableValue(path.UserPath); // $using:env:NAME
                    continue;
                }
                var found = cmdlet.SessionState.PSVariable.Get(path.UserPath);
                if (found == null)
                {
                    throw Error($"The value of the using variable '{usingAst.Extent.Text}' cannot be retrieved because it has not been set in the local session.",
                        "UsingVariableIsUndefined", usingAst);
                }
                values[key] = found.Value;
            }
            return values;
        }

        // PowerShell's key for a $using: expression: its text (lower-cased for a variable) as
        // base64 of UTF-16, as the engine computes it when binding the values.
        private static string Key(UsingExpressionAst usingAst)
        {
            string text = usingAst.ToString();
            if (usingAst.SubExpression is VariableExpressionAst) text = text.ToLowerInvariant();
            return Convert.ToBase64String(Encoding.Unicode.GetBytes(text));
        }

        private static RuntimeException Error(string message, string errorId, UsingExpressionAst at)
        {
            var exception = new RuntimeException(message);
            var record = new ErrorRecord(exception, errorId, ErrorCategory.InvalidOperation, at.Extent.Text);
            return new RuntimeException(message, null, record);
        }
    }
}
