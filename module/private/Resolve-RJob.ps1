# The job selectors every RJob cmdlet shares (-Job, -Id, -Name, -InstanceId, -State), turned into
# job objects in id order. A literal id, name or instance id that matches nothing is a
# non-terminating "not found" error written by the calling cmdlet, as Stop-Job does; a wildcard
# that matches nothing is silent.

# Names match as PowerShell wildcards (WildcardPattern, in RJobJob.Select); the engine filters
# only by id and state.
function Get-RJobObject {
    param([uint64[]] $Ids, [string[]] $Names, [System.Management.Automation.JobState[]] $States, [guid[]] $InstanceIds)
    [RJob.RJobJob]::Select($Ids, $Names, $States, $InstanceIds)
}

function Resolve-RJob {
    param(
        [Parameter(Mandatory)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        [hashtable] $Bound = @{}
    )
    if ($Bound.ContainsKey('Job')) {
        return @($Bound.Job | Where-Object { $null -ne $_ })
    }
    if ($Bound.ContainsKey('Id')) {
        $found = @(Get-RJobObject -Ids $Bound.Id)
        foreach ($id in $Bound.Id) {
            if (-not ($found | Where-Object Id -EQ $id)) { $Cmdlet.WriteError((New-RJobNotFoundError -By Id -Value $id)) }
        }
        return $found
    }
    if ($Bound.ContainsKey('Name')) {
        $byId = [ordered]@{}
        foreach ($name in $Bound.Name) {
            $matched = @(Get-RJobObject -Names $name)
            if ($matched.Count -eq 0 -and -not [WildcardPattern]::ContainsWildcardCharacters($name)) {
                $Cmdlet.WriteError((New-RJobNotFoundError -By Name -Value $name))
            }
            foreach ($j in $matched) { $byId[[string]$j.Id] = $j }
        }
        return @($byId.Values | Sort-Object Id)
    }
    if ($Bound.ContainsKey('InstanceId')) {
        $found = @(Get-RJobObject -InstanceIds ([string[]]$Bound.InstanceId))
        foreach ($iid in $Bound.InstanceId) {
            if (-not ($found | Where-Object InstanceId -EQ $iid)) { $Cmdlet.WriteError((New-RJobNotFoundError -By InstanceId -Value $iid)) }
        }
        return $found
    }
    if ($Bound.ContainsKey('State')) {
        return @(Get-RJobObject -States ([string]$Bound.State))
    }
    @(Get-RJobObject)
}
