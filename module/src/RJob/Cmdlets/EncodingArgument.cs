// Start-RJob -Encoding: a name (utf8, utf8BOM, ascii, latin1, unicode, bigendianunicode, utf32,
// or any name .NET knows), a code page number, or an Encoding object.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;
using RJob.Records;

namespace RJob.Commands
{
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
    public sealed class EncodingArgumentAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object? value = Pso.Base(inputData);
            switch (value)
            {
                case Encoding e:
                    return e;
                case int codePage:
                    return Encoding.GetEncoding(codePage);
                case string name:
                    if (EncodingCompleter.Named.TryGetValue(name, out var known)) return known;
                    if (int.TryParse(name, out int page)) return Encoding.GetEncoding(page);
                    try { return Encoding.GetEncoding(name); }
                    catch (ArgumentException e) { throw new ArgumentTransformationMetadataException($"'{name}' is not an encoding: {e.Message}", e); }
                default:
                    throw new ArgumentTransformationMetadataException($"Cannot convert '{value}' to an encoding; give a name such as utf8, a code page or an Encoding.");
            }
        }
    }

    public sealed class EncodingCompleter : IArgumentCompleter
    {
        internal static readonly Dictionary<string, Encoding> Named = new(StringComparer.OrdinalIgnoreCase)
        {
            ["utf8"] = new UTF8Encoding(false),
            ["utf8NoBOM"] = new UTF8Encoding(false),
            ["utf8BOM"] = new UTF8Encoding(true),
            ["ascii"] = Encoding.ASCII,
            ["latin1"] = Encoding.Latin1,
            ["unicode"] = Encoding.Unicode,
            ["bigendianunicode"] = Encoding.BigEndianUnicode,
            ["utf32"] = Encoding.UTF32,
        };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (var name in Named.Keys)
            {
                if (name.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
                {
                    yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
                }
            }
        }
    }
}
