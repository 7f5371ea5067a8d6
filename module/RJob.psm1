# RJob loader: checks the platform and the build, loads the compiled shim once, then the commands.
Set-StrictMode -Version 3.0

$bin = Join-Path $PSScriptRoot 'bin'
if (-not $IsLinux) {
    throw [System.PlatformNotSupportedException]::new('RJob runs on Linux: its engine stops job process trees with Linux process APIs.')
}
# The native files sit in a folder per runtime identifier, where RJob.Interop.Native loads them.
foreach ($file in 'linux-x64/librjob.so', 'linux-x64/rjob-supervisor', 'RJob.dll') {
    if (-not (Test-Path -LiteralPath (Join-Path $bin $file))) {
        throw [System.IO.FileNotFoundException]::new("RJob is not built: $bin/$file is missing. Run ./scripts/build from the repository root.", $file)
    }
}
# An assembly cannot be unloaded, so Import-Module -Force reuses the one already loaded.
# Assembly.LoadFrom costs a few milliseconds; Add-Type -LiteralPath costs about 40.
if (-not ('RJob.Interop.Engine' -as [type])) {
    $null = [System.Reflection.Assembly]::LoadFrom((Join-Path $bin 'RJob.dll'))
}

foreach ($folder in 'private', 'public') {
    foreach ($file in Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot $folder) -Filter *.ps1) {
        if ($file.Name -ne 'JobHost.ps1') { . $file.FullName }
    }
}

$script:JobHostPath = Join-Path $PSScriptRoot 'private/JobHost.ps1'
$script:PwshCommand = Get-RJobPwshCommand

# Tab completion of the ids and names of this session's jobs.
$completeJob = {
    param($commandName, $parameterName, $wordToComplete)
    foreach ($j in [RJob.Interop.Engine]::List($null, $null)) {
        $value = if ($parameterName -eq 'Id') { [string]$j.Id } else { $j.Name }
        if ($value -and $value -like "$wordToComplete*") {
            $text = if ($value -match '[\s''"`$]') { "'" + ($value -replace "'", "''") + "'" } else { $value }
            [System.Management.Automation.CompletionResult]::new($text, $value, 'ParameterValue', "$($j.Id) $($j.Name) [$($j.State)] $($j.Command)")
        }
    }
}
foreach ($parameter in 'Id', 'Name') {
    Register-ArgumentCompleter -CommandName 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob' -ParameterName $parameter -ScriptBlock $completeJob
}
