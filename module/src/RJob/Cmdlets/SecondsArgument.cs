// Set-RJobOption -PoolIdleTimeout: a TimeSpan, or a number of seconds (PowerShell alone would
// read a number as ticks), or text TimeSpan reads ("00:05:00"). The range is checked once, by
// the validation attribute, against PoolOptions' limits.
using System;
using System.Globalization;
using System.Management.Automation;
using RJob.Pool;
using RJob.Records;

namespace RJob.Commands
{
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
    public sealed class SecondsArgumentAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object? value = Pso.Base(inputData);
            switch (value)
            {
                case TimeSpan t:
                    return t;
                case int or long or double or float or decimal or short or byte:
                    return TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                case string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double secs):
                    return TimeSpan.FromSeconds(secs);
                case string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t):
                    return t;
                default:
                    throw new ArgumentTransformationMetadataException($"Cannot convert '{value}' to a time span; give seconds (300) or a TimeSpan (00:05:00).");
            }
        }
    }

    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
    public sealed class ValidateIdleTimeoutAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            if (Pso.Base(arguments) is not TimeSpan t || t < PoolOptions.MinIdleTimeout || t > PoolOptions.MaxIdleTimeout)
            {
                throw new ValidationMetadataException($"The idle timeout must be between {PoolOptions.MinIdleTimeout.TotalSeconds} second and {PoolOptions.MaxIdleTimeout.TotalDays} day.");
            }
        }
    }
}
