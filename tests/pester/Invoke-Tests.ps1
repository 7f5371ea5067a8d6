# Runs the Pester suites and prints "Pester: N passed, N failed" for scripts/test to add up.
param([string] $PesterPath, [string] $OutputXml)

$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
Import-Module (Resolve-Path -LiteralPath $PesterPath).Path -MinimumVersion 5.0 -Force
$ErrorActionPreference = 'Continue'
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($OutputXml) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = $OutputXml
}
$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
"Pester: $($result.PassedCount) passed, $failed failed"
exit ([int]($failed -gt 0 -or $result.PassedCount -eq 0))
