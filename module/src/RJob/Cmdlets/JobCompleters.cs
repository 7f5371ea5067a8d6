// Tab completion of the ids and names of this session's RJob jobs.
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using RJob.Jobs;

namespace RJob.Commands
{
    public sealed class JobIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (var job in JobTable.Jobs())
            {
                string id = job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (id.StartsWith(wordToComplete, System.StringComparison.Ordinal))
                {
                    yield return new CompletionResult(id, id, CompletionResultType.ParameterValue, Tip(job));
                }
            }
        }

        internal static string Tip(Job job) => $"{job.Id} {job.Name} [{job.JobStateInfo.State}] {job.Command}";
    }

    public sealed class JobNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string word = wordToComplete.Trim('\'', '"');
            var pattern = JobMatch.Pattern(WildcardPattern.Escape(word) + "*");
            var seen = new HashSet<string>();
            foreach (var job in JobTable.Jobs())
            {
                if (!pattern.IsMatch(job.Name) || !seen.Add(job.Name)) continue;
                yield return new CompletionResult(Quote(job.Name), job.Name, CompletionResultType.ParameterValue, JobIdCompleter.Tip(job));
            }
        }

        // Quoted when the name would not stay one literal argument; wildcard characters escaped,
        // so the completed name selects only that job.
        private static string Quote(string name)
        {
            string literal = WildcardPattern.Escape(name);
            foreach (char c in literal)
            {
                if (char.IsWhiteSpace(c) || "'\"`$;,(){}@#&|<>".IndexOf(c) >= 0)
                {
                    return "'" + CodeGeneration.EscapeSingleQuotedStringContent(literal) + "'";
                }
            }
            return literal;
        }
    }
}
