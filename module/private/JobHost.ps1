# Runs one RJob script job inside a child pwsh. The job arrives on stdin as CLIXML:
# @{ Script = <script text>; ArgumentList = <array> }. Every record of every stream goes to
# stdout as one line, a tag letter and the record as base64 CLIXML, so the parent can restore
# objects, errors, warnings and the rest in order (module/src/RJob/Jobs/Receiver.cs reads them).
# The exit code is 1 when the script ended with a terminating error, so the job is Failed.
param()

$job = [System.Management.Automation.PSSerializer]::Deserialize([Console]::In.ReadToEnd())
$writer = [Console]::Out

function Send-RJobRecord([string] $Tag, $Value) {
    $xml = [System.Management.Automation.PSSerializer]::Serialize($Value)
    $writer.WriteLine($Tag + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($xml)))
}

function ConvertTo-RJobError([System.Management.Automation.ErrorRecord] $Record) {
    @{
        Message      = $Record.ToString()
        ErrorId      = $Record.FullyQualifiedErrorId
        Category     = [string]$Record.CategoryInfo.Category
        TargetObject = if ($null -ne $Record.TargetObject) { [string]$Record.TargetObject }
    }
}

$scriptBlock = [scriptblock]::Create($job.Script)
$arguments = @($job.ArgumentList)
$failed = $false
try {
    & $scriptBlock @arguments *>&1 | ForEach-Object {
        switch ($_) {
            { $_ -is [System.Management.Automation.ErrorRecord] } { Send-RJobRecord 'E' (ConvertTo-RJobError $_); break }
            { $_ -is [System.Management.Automation.WarningRecord] } { Send-RJobRecord 'W' $_.Message; break }
            { $_ -is [System.Management.Automation.VerboseRecord] } { Send-RJobRecord 'V' $_.Message; break }
            { $_ -is [System.Management.Automation.DebugRecord] } { Send-RJobRecord 'D' $_.Message; break }
            { $_ -is [System.Management.Automation.InformationRecord] } {
                Send-RJobRecord 'I' @{ MessageData = $_.MessageData; Source = $_.Source; Tags = @($_.Tags) }; break
            }
            default { Send-RJobRecord 'O' $_ }
        }
    }
}
catch {
    Send-RJobRecord 'E' (ConvertTo-RJobError $_)
    $failed = $true
}
$writer.Flush()
exit ([int]$failed)
