# How a command's parameter metadata reads in MAML help: one set of rules for scripts/Sync-Help.ps1,
# which writes module/en-US/RJob.dll-help.xml, and for Help.Tests.ps1, which checks what Get-Help
# makes of it against the live commands.

$HelpCommandOrder = @('Start-RJob', 'Get-RJob', 'Wait-RJob', 'Receive-RJob', 'Stop-RJob', 'Remove-RJob', 'Set-RJobOption', 'Get-RJobOption', 'Install-RJobRemote')

# -WhatIf and -Confirm are documented like any parameter; the other common parameters are not.
function Test-HelpDocumented([string] $Name) { $Name -notin [System.Management.Automation.Cmdlet]::CommonParameters }

# Parameter sets as Get-Command lists them, the default set first.
function Get-HelpParameterSets([System.Management.Automation.CommandInfo] $Command) {
    @($Command.ParameterSets | Where-Object IsDefault) + @($Command.ParameterSets | Where-Object { -not $_.IsDefault })
}

# A set's documented parameters: positional ones by position, then mandatory, then optional ones.
function Get-HelpSetParameters([System.Management.Automation.CommandParameterSetInfo] $Set) {
    $Set.Parameters | Where-Object { Test-HelpDocumented $_.Name } |
        Sort-Object -Stable { if ($_.Position -ge 0) { $_.Position } else { [int]::MaxValue } }, { -not $_.IsMandatory }
}

# Every documented parameter of the command, alphabetically.
function Get-HelpParameterNames([System.Management.Automation.CommandInfo] $Command) {
    $Command.Parameters.Keys | Where-Object { Test-HelpDocumented $_ } | Sort-Object
}

# What help says of one parameter: for one parameter set, or (no set) merged over all its sets:
# required only when mandatory in every set, the lowest position it takes anywhere, pipeline
# input from any set.
function Get-ParameterFacts([System.Management.Automation.CommandInfo] $Command, [string] $Name, $ParameterSet) {
    $meta = $Command.Parameters[$Name]
    $sets = if ($ParameterSet) { @($ParameterSet) } else { @($meta.ParameterSets.Values) }
    $positions = @($sets | ForEach-Object Position | Where-Object { $_ -ge 0 } | Sort-Object)
    $byValue = [bool]@($sets | Where-Object ValueFromPipeline).Count
    $byName = [bool]@($sets | Where-Object ValueFromPipelineByPropertyName).Count
    $pipeline = switch ($true) {
        ($byValue -and $byName) { 'True (ByPropertyName, ByValue)'; break }
        $byValue { 'True (ByValue)'; break }
        $byName { 'True (ByPropertyName)'; break }
        default { 'False' }
    }
    [pscustomobject]@{
        Type          = $meta.ParameterType.FullName
        Required      = ([bool]@($sets).Count -and -not @($sets | Where-Object { -not $_.IsMandatory }).Count).ToString().ToLower()
        Position      = if ($positions.Count) { [string]$positions[0] } else { 'named' }
        PipelineInput = $pipeline
        Globbing      = ([bool]@($meta.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count).ToString().ToLower()
        Aliases       = if ($meta.Aliases.Count) { $meta.Aliases -join ', ' } else { 'none' }
    }
}
