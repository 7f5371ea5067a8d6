# How a script job runs: the same pwsh that hosts the module, started directly (no shell) on
# private/JobHost.ps1, which reads the script and its arguments from stdin as CLIXML.

function Get-RJobPwshCommand {
    # A pwsh installed as a .NET tool runs as "dotnet pwsh.dll"; a native install as pwsh itself.
    $exe = [Environment]::ProcessPath
    $leaf = [IO.Path]::GetFileNameWithoutExtension($exe)
    if ($leaf -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    if ($leaf -eq 'pwsh') { return @($exe) }
    @(Join-Path $PSHOME 'pwsh')
}

function New-RJobScriptLaunch {
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock, [object[]] $ArgumentList)
    $argv = @($script:PwshCommand) + @('-NoProfile', '-NonInteractive', '-NoLogo', '-File', $script:JobHostPath)
    $payload = @{ Script = $ScriptBlock.ToString(); ArgumentList = @($ArgumentList) }
    @{
        Argv  = [string[]]$argv
        Stdin = [System.Management.Automation.PSSerializer]::Serialize($payload, 3)
    }
}
