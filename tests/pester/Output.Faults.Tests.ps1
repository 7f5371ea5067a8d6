# Output under faults, as the module shows it (issue 9, items 1-3): long lines come back whole
# and byte-exact through plain Receive-RJob, and a full spool pauses a job instead of losing lines
# or failing the receive. The engine-level proofs (memory ceilings, odd bytes, stops while paused)
# are in tests/output.rs.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Long lines' {
    AfterEach { Remove-AllRJob }

    It 'a 20 MiB line comes back whole from plain Receive-RJob, called as it is ready' {
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'head -c 20971520 /dev/zero | tr "\0" a; echo; echo after'
        # Plain calls (no -Wait) while the job writes: no call may return a part of the line.
        $got = [System.Collections.Generic.List[string]]::new()
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while (-not ($job.IsFinished -and -not $job.HasMoreData)) {
            if ([datetime]::UtcNow -gt $deadline) { throw "no end of output in 60 s: $($job.State)" }
            foreach ($line in @(Receive-RJob $job)) { $got.Add($line) }
            $null = Wait-RJob $job -Timeout 0.05
        }
        $got.Count | Should -Be 2
        $got[0].Length | Should -Be 20971520
        $got[0].Trim('a') | Should -BeExactly ''
        $got[1] | Should -BeExactly 'after'
    }

    It 'a 20 MiB line comes back whole with -Keep, and again' {
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'head -c 20971520 /dev/zero | tr "\0" b; echo' | Wait-RJob -Timeout 60
        foreach ($round in 1, 2) {
            $got = @(Receive-RJob $job -Keep)
            $got.Count | Should -Be 1 -Because "round $round"
            $got[0].Length | Should -Be 20971520
        }
        $job.HasMoreData | Should -BeTrue
    }

    It 'a 6 MB line of euro signs decodes without a replacement character' {
        # 2,000,000 x U+20AC = 6,000,000 bytes of UTF-8, cut into pieces inside characters.
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'yes € | head -n 2000000 | tr -d "\n"; echo' | Wait-RJob -Timeout 60
        $got = @(Receive-RJob $job)
        $got.Count | Should -Be 1
        $got[0].Length | Should -Be 2000000
        $got[0].Contains([char]0xFFFD) | Should -BeFalse
        $got[0] | Should -BeExactly ([string]::new([char]0x20AC, 2000000))
    }
}

Describe 'A full spool' {
    BeforeAll {
        $script:child = $null
        # The script lives beside the mount point, not under it: the tmpfs would hide it.
        $script:work = Join-Path ([IO.Path]::GetTempPath()) "rjob-pester-spool-$(New-Token)"
        $script:mnt = Join-Path $script:work 'mnt'
        $null = New-Item -ItemType Directory -Path $script:mnt
        $script:canUnshare = $false
        try {
            & unshare -m true 2>$null
            $script:canUnshare = $LASTEXITCODE -eq 0
        }
        catch { }
    }
    AfterAll {
        Stop-ChildTree $script:child
        Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction Ignore
    }

    It 'pauses the job with a reason, and Receive-RJob then brings back every line in order' {
        if (-not $script:canUnshare) {
            Set-ItResult -Skipped -Because '`unshare -m` is not permitted here, so no private tmpfs can be mounted'
            return
        }
        # A child pwsh in its own mount namespace, its spool on a 1 MiB tmpfs.
        $script = Join-Path $script:work 'child.ps1'
        Set-Content -LiteralPath $script -Value @'
param($Module)
$ErrorActionPreference = 'Stop'
Import-Module $Module
function Rss { [int](((Get-Content /proc/self/status) -match '^VmRSS:' -split '\s+')[1]) / 1024 }
$before = Rss
$job = Start-RJob -FilePath seq -ArgumentList 1, 600000
"started: $($job.State)"
$deadline = [datetime]::UtcNow.AddSeconds(60)
while ($job.StatusMessage -notmatch 'output paused') {
    if ([datetime]::UtcNow -gt $deadline) { "never paused: $($job.State) $($job.StatusMessage)"; exit 1 }
    Start-Sleep -Milliseconds 20
}
"paused: $($job.StatusMessage)"
"state: $($job.State)"
"rss: $before $(Rss)"
$lines = [string[]]@(Receive-RJob $job -Wait)
$want = [string[]](1..600000)
"count: $($lines.Count)"
"inorder: $([Linq.Enumerable]::SequenceEqual($lines, $want))"
"final: $($job.State)"
'@
        $env:RJOB_SPOOL_DIR = Join-Path $script:mnt 'spool'
        try {
            $mount = 'mount -t tmpfs -o size=1m tmpfs "$1" && shift && exec "$@"'
            $script:child = Start-ChildPwsh -ScriptPath $script -Arguments @($RJobManifest) `
                -Prefix @('timeout', '300', 'unshare', '-m', 'sh', '-c', $mount, 'sh', $script:mnt)
        }
        finally { Remove-Item Env:RJOB_SPOOL_DIR }
        $out = @{}
        while ($null -ne ($line = Read-ChildLine $script:child 120)) {
            $k, $v = $line -split ': ', 2
            $out[$k] = $v
            if ($k -eq 'final' -or $k -eq 'never paused') { break }
        }
        $script:child.WaitForExit(30000) | Should -BeTrue
        $out['started'] | Should -Be 'Running'
        $out['paused'] | Should -Match '^output paused: spool full \(No space left on device\); receive output to resume$'
        $out['state'] | Should -Be 'Running'
        $before, $during = [int[]]($out['rss'] -split ' ')
        Write-Host "figure: child pwsh RSS $before MiB before, $during MiB with output paused on a full 1 MiB spool"
        ($during - $before) | Should -BeLessThan 64
        $out['count'] | Should -Be 600000
        $out['inorder'] | Should -Be 'True'
        $out['final'] | Should -Be 'Completed'
    }
}
