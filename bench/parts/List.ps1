# Listing: Get-RJob over -Count jobs against Get-Job over -Count thread jobs (medians of -Rounds
# after a warm-up). A listing costs the same whatever the jobs' state, so the jobs are the
# cheapest to have many of: RJob jobs that ran `true` and ended, thread jobs queued behind one that
# sleeps. bench/Get-Jobs.ps1 has the longer version (-Id lookups, $job.State).

function Invoke-ListPart([int] $Count, [int] $Rounds, [int] $ThreadLimit = 300) {
    Clear-AllJobs
    $rjobs = [System.Collections.Generic.List[object]]::new($Count)
    for ($i = 0; $i -lt $Count; $i++) { $rjobs.Add((Start-RJob -FilePath true)) }
    Wait-Until { -not @($rjobs.Where({ $_.State -in 'NotStarted', 'Running' }, 'First')).Count } 600 "$Count jobs to end"
    if (@(Get-RJob).Count -ne $Count) { throw "bench: Get-RJob did not list $Count jobs" }
    $r = Measure-Median { Get-RJob } $Rounds
    $rjobs | Remove-RJob -Force
    $rjobs = $null

    # The thread jobs in a child pwsh killed after $ThreadLimit s (ThreadList-Child.ps1 says why).
    $out = & timeout -k 5 $ThreadLimit $Pwsh -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot ThreadList-Child.ps1) -Count $Count -Rounds $Rounds
    $t = $null; $note = ''
    if ($LASTEXITCODE -eq 124 -or $LASTEXITCODE -eq 137) { $note = "the thread-job side did not end within $ThreadLimit s" }
    elseif ($LASTEXITCODE) { throw "bench: the thread-job listing failed: $out" }
    else { $t = [double]@($out)[-1] }
    Write-Host ("  list {0}: Get-RJob {1:N1} ms, Get-Job over thread jobs {2} ms" -f $Count, $r, (Format-Num $t))
    New-BenchRow "Get-RJob over $Count jobs" ms $r "Get-Job, $Count thread jobs" $t '' '<= 2x Get-Job' -GoalRatio 2 -Note $note
}
