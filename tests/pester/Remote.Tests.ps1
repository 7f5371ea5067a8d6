# Remote jobs over OpenSSH (issue 8): real sshd hosts on 127.0.0.1 (SshHosts.ps1). The "remote"
# supervisor is the built binary, named by -SupervisorPath; every remote process is local here, so
# the tree's processes are found by a unique marker: `sleep 299.<random>` (GNU sleep takes the
# fraction, so the marker is in every sleeping process's own command line).

BeforeDiscovery {
    . $PSScriptRoot/SshHosts.ps1
    $script:NoSsh = Get-RJobTestSshUnavailableReason
}

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/SshHosts.ps1
    $script:Ssh = $null
    if (Get-RJobTestSshUnavailableReason) { return }
    $script:Ssh = Start-RJobTestSshHosts -Names hostA, hostB
    $script:Supervisor = Join-Path $PSScriptRoot '../../module/bin/linux-x64/rjob-supervisor' | Resolve-Path | ForEach-Object Path

    # Start-RJob's remote parameters for one harness host.
    function Get-RemoteArgs([int] $Index = 0) {
        $h = $script:Ssh.Hosts[$Index]
        @{
            HostName = $h.HostName; Port = $h.Port; UserName = $h.UserName; KeyFilePath = $h.KeyFilePath
            Options = [hashtable]$h.Options; SupervisorPath = $script:Supervisor
        }
    }

    # A job whose tree holds a plain child, a double-forked orphan, a setsid daemon and a
    # TERM-ignoring child, all sleeping with the marker; it prints "ready" once all are started.
    function Start-MarkedTree([string] $Marker, [int] $Index = 0, [double] $Grace = 1) {
        $script = @"
sleep $Marker &
( sleep $Marker & )
setsid sleep $Marker &
sh -c 'trap "" TERM; exec sleep $Marker' &
echo ready
wait
"@
        $p = Get-RemoteArgs $Index
        Start-RJob -FilePath /bin/sh -ArgumentList '-c', $script -GraceSeconds $Grace @p
    }

    # The local ssh clients this pwsh started (the jobs' links).
    function Get-SshClientPid { @(& pgrep -P $PID -x ssh 2>$null | ForEach-Object { [int]$_ }) }
}

AfterAll {
    Get-RJob -ErrorAction SilentlyContinue | Stop-RJob -Force -ErrorAction SilentlyContinue
    Get-RJob -ErrorAction SilentlyContinue | Remove-RJob -Force -ErrorAction SilentlyContinue
    if ($script:Ssh) { Stop-RJobTestSshHosts $script:Ssh }
}

Describe 'Remote native jobs over ssh' -Skip:([bool]$NoSsh) {
    It 'gives the output, the errors and the exit code; Location is the host; the tenth start reuses the connection' {
        $p = Get-RemoteArgs 0
        $times = foreach ($i in 1..10) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $j = Start-RJob -FilePath /bin/sh -ArgumentList '-c', "echo out$i; echo err$i >&2; exit 3" @p
            $sw.Elapsed.TotalMilliseconds
            Wait-RJob $j -Timeout 30 | Out-Null
            $j.State | Should -Be 'Failed'
            $j.ExitCode | Should -Be 3
            $j.Location | Should -Be $p.HostName
            $out = Receive-RJob $j 2>&1 | ForEach-Object { "$_" }
            $out | Should -Contain "out$i"
            $out | Should -Contain "err$i"
            Remove-RJob $j
        }
        Write-Host ("    remote start times (ms), 1st..10th: {0}" -f (($times | ForEach-Object { [int]$_ }) -join ' '))
        $times[9] | Should -BeLessThan 5000
    }

    It 'a zero exit is Completed, and stdin reaches the remote program' {
        $p = Get-RemoteArgs 1
        $j = 'a', 'b' | Start-RJob -FilePath /bin/cat @p
        Wait-RJob $j -Timeout 30 | Out-Null
        $j.State | Should -Be 'Completed'
        Receive-RJob $j | Should -Be @('a', 'b')
        $j.Location | Should -Be $p.HostName
    }

    It 'Stop-RJob leaves no remote process of the tree (orphan, setsid daemon, TERM-ignoring child)' {
        $m = New-RJobTestMarker
        $j = Start-MarkedTree $m
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 20 | Should -Not -BeNullOrEmpty
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob $j
        Wait-RJob $j -Timeout 15 | Out-Null
        $stop = $sw.Elapsed.TotalSeconds
        $left = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 5
        Write-Host ("    graceful remote stop: {0:N2} s, marked processes left after it: {1}" -f $stop, (Get-RJobTestMarkedPid $m).Count)
        $left | Should -Not -BeNullOrEmpty
        $j.State | Should -Be 'Stopped'
    }

    It 'Stop-RJob -Force leaves no remote process of the tree' {
        $m = New-RJobTestMarker
        $j = Start-MarkedTree $m -Grace 30
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 20 | Should -Not -BeNullOrEmpty
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob $j -Force
        Wait-RJob $j -Timeout 15 | Out-Null
        $stop = $sw.Elapsed.TotalSeconds
        $left = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 5
        Write-Host ("    forced remote stop: {0:N2} s, marked processes left: {1}" -f $stop, (Get-RJobTestMarkedPid $m).Count)
        $left | Should -Not -BeNullOrEmpty
        $stop | Should -BeLessThan 10   # far below the 30 s grace: no SIGTERM wait
        $j.State | Should -Be 'Stopped'
    }

    It 'kill -9 of the local ssh client: the remote tree is gone within grace + 1 s and the job is Failed "connection lost"' {
        $m = New-RJobTestMarker
        $before = Get-SshClientPid
        $j = Start-MarkedTree $m -Grace 1
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 20 | Should -Not -BeNullOrEmpty
        $client = @(Get-SshClientPid | Where-Object { $_ -notin $before })
        $client.Count | Should -Be 1
        kill -9 $client[0]
        # Grace 1 s + 1 s, plus 1 s of slack for this shared 2-core machine.
        $gone = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 3
        Write-Host ("    after kill -9 of ssh: remote tree gone in {0:N2} s (limit 3); left: {1}" -f $gone, (Get-RJobTestMarkedPid $m).Count)
        $gone | Should -Not -BeNullOrEmpty
        Wait-RJob $j -Timeout 10 | Out-Null
        $j.State | Should -Be 'Failed'
        $j.StatusMessage | Should -Match 'connection lost'
    }
}

Describe 'When the local pwsh dies' -Skip:([bool]$NoSsh) {
    It 'kill -9 of the pwsh that started a remote job: the remote tree is gone within grace + 1 s' {
        $m = New-RJobTestMarker
        $script = Join-Path $script:Ssh.Folder "owner-$m.ps1"
        $p = Get-RemoteArgs 0
        # A child pwsh (time-limited, its argument carries the marker) starts the marked tree and
        # waits; its remote processes are found by the marker.
        Set-Content -LiteralPath $script -Value @'
param($Manifest, $Json, $Marker)
Import-Module $Manifest
$p = $Json | ConvertFrom-Json -AsHashtable
$sh = "sleep $Marker & ( sleep $Marker & ); setsid sleep $Marker & sh -c 'trap """" TERM; exec sleep $Marker' & wait"
$job = Start-RJob -FilePath /bin/sh -ArgumentList '-c', $sh -GraceSeconds 1 @p
"started $PID $($job.State)"
Start-Sleep 120
'@
        $child = Start-ChildPwsh -ScriptPath $script -Arguments $script:RJobManifest, ($p | ConvertTo-Json -Compress), $m -Prefix timeout, 60
        try {
            $line = Read-ChildLine $child 60
            $line | Should -Match '^started (\d+) Running$'
            $owner = [int]($line -split ' ')[1]
            Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 30 | Should -Not -BeNullOrEmpty
            kill -9 $owner
            # Grace 1 s + 1 s, plus 1 s of slack for this shared 2-core machine.
            $gone = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 3
            Write-Host ("    after kill -9 of the local pwsh: remote tree gone in {0:N2} s (limit 3); left: {1}" -f $gone, (Get-RJobTestMarkedPid $m).Count)
            $gone | Should -Not -BeNullOrEmpty
        }
        finally {
            Stop-ChildTree $child
            Get-RJobTestMarkedPid $m | ForEach-Object { kill -9 $_ }
        }
    }
}

Describe 'Remote start failures are clear errors within 10 s' -Skip:([bool]$NoSsh) {
    BeforeAll {
        function Get-StartError([hashtable] $p) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $err = $null
            try { $null = Start-RJob -FilePath /bin/true @p -ErrorAction Stop } catch { $err = $_ }
            [pscustomobject]@{ Message = "$err"; Seconds = $sw.Elapsed.TotalSeconds }
        }
    }
    AfterEach { Get-RJob | Remove-RJob -Force -ErrorAction SilentlyContinue }

    It 'a refused port' {
        $p = Get-RemoteArgs 0
        $p.Port = (New-RJobTestSshRefusedPort $script:Ssh).Port
        $r = Get-StartError $p
        $r.Message | Should -Match 'Connection refused'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'a host key that does not match (never accepted)' {
        $p = Get-RemoteArgs 1
        $p.Options.UserKnownHostsFile = (New-RJobTestSshWrongHostKey $script:Ssh).KnownHostsPath
        $r = Get-StartError $p
        $r.Message | Should -Match 'Host key verification failed'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'a client key the host does not accept' {
        $p = Get-RemoteArgs 0
        $p.KeyFilePath = (New-RJobTestSshWrongClientKey $script:Ssh).KeyPath
        $r = Get-StartError $p
        $r.Message | Should -Match 'Permission denied \(publickey\)'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'no rjob-supervisor on the host' {
        $p = Get-RemoteArgs 0
        $p.SupervisorPath = '/nonexistent/rjob-supervisor'
        $r = Get-StartError $p
        $r.Message | Should -Match 'No such file or directory'
        $r.Message | Should -Match 'Install-RJobRemote'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'remote parameters without -HostName are refused' {
        { Start-RJob -FilePath /bin/true -Port 22 -ErrorAction Stop } | Should -Throw '*need -HostName*'
    }
}

Describe 'Many remote jobs' -Skip:([bool]$NoSsh) {
    It '20 jobs over two hosts: Wait-RJob -Any, then Get-RJob | Stop-RJob leaves nothing' {
        Get-RJob | Remove-RJob -Force
        $m = New-RJobTestMarker
        $jobs = foreach ($i in 0..19) {
            $p = Get-RemoteArgs ($i % 2)
            $cmd = if ($i -eq 0) { 'exit 0' } else { "sleep $m & wait" }
            Start-RJob -FilePath /bin/sh -ArgumentList '-c', $cmd -GraceSeconds 1 @p
        }
        $jobs.Count | Should -Be 20
        ($jobs.Location | Sort-Object -Unique).Count | Should -Be 1   # both hosts are 127.0.0.1 here
        $first = Wait-RJob $jobs -Any -Timeout 30
        $first.Id | Should -Be $jobs[0].Id
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 19 } 30 | Should -Not -BeNullOrEmpty
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Get-RJob | Stop-RJob
        Wait-RJob $jobs -Timeout 30 | Out-Null
        $stop = $sw.Elapsed.TotalSeconds
        $left = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 5
        Write-Host ("    Get-RJob | Stop-RJob of 19 remote jobs: {0:N2} s, marked left: {1}" -f $stop, (Get-RJobTestMarkedPid $m).Count)
        $left | Should -Not -BeNullOrEmpty
        @($jobs | Where-Object State -NE 'Stopped').Count | Should -Be 1
    }
}
