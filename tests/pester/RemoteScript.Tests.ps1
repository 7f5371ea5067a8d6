# Remote script jobs, Start-RJob -Session, the seed's scenario 6 (both shapes) and Install-RJobRemote,
# against real sshd hosts on 127.0.0.1 (SshHosts.ps1). The "remote" pwsh is the test's own pwsh
# (-PwshPath, absolute: sshd's PATH has none), the "remote" supervisor the built binary
# (-SupervisorPath). Remote processes are local here, so they are found by a unique marker:
# `sleep 299.<random>` (GNU sleep takes the fraction, so the marker is in each one's command line).

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
    # The pwsh launcher (.tools/pwsh/pwsh, as a user's PATH would have it), by absolute path.
    $script:RemotePwsh = Join-Path $PSScriptRoot '../../.tools/pwsh/pwsh' | Resolve-Path | ForEach-Object Path

    # ssh settings of one harness host (no -F config: what Start-RJob and New-PSSession take).
    function Get-SshArgs([int] $Index = 0) {
        $h = $script:Ssh.Hosts[$Index]
        @{ HostName = $h.HostName; Port = $h.Port; UserName = $h.UserName; KeyFilePath = $h.KeyFilePath; Options = [hashtable]$h.Options }
    }

    # Start-RJob's remote parameters for one harness host.
    function Get-RemoteArgs([int] $Index = 0) {
        $p = Get-SshArgs $Index
        $p.SupervisorPath = $script:Supervisor
        $p.PwshPath = $script:RemotePwsh
        $p
    }

    # A shell line leaving a double-forked orphan, a setsid daemon and a TERM-ignoring child, all
    # sleeping with the marker (output to /dev/null: none holds the job's pipes), then waiting.
    function Get-OrphanMaker([string] $Marker) {
        "(sleep $Marker >/dev/null 2>&1 &); setsid sleep $Marker >/dev/null 2>&1 & sh -c 'trap """" TERM; exec sleep $Marker' >/dev/null 2>&1 & sleep $Marker >/dev/null 2>&1 & wait"
    }

    function New-TestSession([int] $Index = 0) {
        $a = Get-SshArgs $Index
        New-PSSession @a -ErrorAction Stop
    }
}

AfterAll {
    Get-RJob -ErrorAction SilentlyContinue | Remove-RJob -Force -ErrorAction SilentlyContinue
    Get-PSSession -ErrorAction SilentlyContinue | Remove-PSSession -ErrorAction SilentlyContinue
    if ($script:Ssh) { Stop-RJobTestSshHosts $script:Ssh }
}

Describe 'Remote script jobs' -Skip:([bool]$NoSsh) {
    AfterEach { Get-RJob | Remove-RJob -Force }

    It 'bring back output, objects, $using:, arguments, input and every stream, as local script jobs do' {
        $p = Get-RemoteArgs 0
        $v = 'from-using'
        $j = 'in1', 'in2' | Start-RJob @p {
            param($a)
            "arg $a"
            $using:v
            $input
            [pscustomobject]@{ N = 7; Pid = $PID }
            Write-Error 'err1'
            Write-Warning 'warn1'
            Write-Verbose 'verbose1' -Verbose
            Write-Information 'info1'
            # The RJob module is not imported into a remote job (it need not be on the host).
            "module: $(@(Get-Module RJob).Count)"
        } -ArgumentList 5
        $null = Wait-RJob $j -Timeout 120
        $j.State | Should -Be 'Completed' -Because $j.StatusMessage
        $j.Location | Should -Be $p.HostName
        $out = Receive-RJob $j -ErrorVariable e -WarningVariable w -InformationVariable i -Verbose 4>&1
        $text = $out | ForEach-Object { "$_" }
        $text | Should -Contain 'arg 5'
        $text | Should -Contain 'from-using'
        $text | Should -Contain 'in1'
        $text | Should -Contain 'in2'
        $text | Should -Contain 'verbose1'
        $text | Should -Contain 'module: 0'
        $obj = $out | Where-Object { $_.PSObject.Properties['N'] }
        $obj.N | Should -Be 7
        $obj.Pid | Should -Not -Be $PID
        $obj.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Management.Automation.PSCustomObject'
        "$e" | Should -Be 'err1'
        "$w" | Should -Be 'warn1'
        "$i" | Should -Be 'info1'
    }

    It 'end as the same script ends locally: <Name>' -ForEach @(
        @{ Name = 'a terminating error'; Block = { 'before'; throw 'it broke' } }
        @{ Name = 'a native exit code'; Block = { sh -c 'echo native; exit 3'; "code $LASTEXITCODE" } }
        @{ Name = 'exit 4'; Block = { 'x'; exit 4 } }
    ) {
        $p = Get-RemoteArgs 1
        $local = Start-RJob $Block
        $remote = Start-RJob $Block @p
        $null = Wait-RJob $local, $remote -Timeout 120
        $remote.State | Should -Be $local.State
        $remote.ExitCode | Should -Be $local.ExitCode
        "$($remote.JobStateInfo.Reason.Message)" | Should -Be "$($local.JobStateInfo.Reason.Message)"
        $lo = @(Receive-RJob $local 2>&1 | ForEach-Object { "$_" })
        $ro = @(Receive-RJob $remote 2>&1 | ForEach-Object { "$_" })
        $ro | Should -Be $lo
        $lo.Count | Should -BeGreaterThan 0
    }

    It 'a pwsh the host does not have is a clear failure within seconds' {
        $p = Get-RemoteArgs 0
        $p.PwshPath = '/nonexistent/pwsh'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $err = $null
        try { $j = Start-RJob { 1 } @p -ErrorAction Stop; $null = Wait-RJob $j -Timeout 30 } catch { $err = "$_" }
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
        "$err$($j.StatusMessage)$($j.JobStateInfo.Reason)" | Should -Match '/nonexistent/pwsh'
    }

    It 'Stop-RJob leaves no remote process of the tree (orphan, setsid daemon, TERM-ignoring child)' {
        $m = New-RJobTestMarker
        $p = Get-RemoteArgs 0
        $j = Start-RJob @p -GraceSeconds 1 { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m)
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 60 | Should -Not -BeNullOrEmpty
        Stop-RJob $j
        $j.State | Should -Be 'Stopped'
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 5 | Should -Not -BeNullOrEmpty
    }

    It 'start in -WorkingDirectory on the host, ~ being the remote home; without it, in the remote home' {
        $p = Get-RemoteArgs 1
        $here = Start-RJob @p -WorkingDirectory $script:Ssh.Folder { $PWD.Path; (Get-Location).Provider.Name }
        $home_ = Start-RJob @p -WorkingDirectory '~/' { $PWD.Path }
        $default = Start-RJob @p { $PWD.Path }
        $p.Remove('PwshPath')
        $native = Start-RJob @p -WorkingDirectory '~' -FilePath /bin/pwd
        $null = Wait-RJob $here, $home_, $default, $native -Timeout 120
        Receive-RJob $here | Should -Be @($script:Ssh.Folder, 'FileSystem')
        Receive-RJob $home_ | Should -Be '/root'
        Receive-RJob $default | Should -Be '/root'
        Receive-RJob $native | Should -Be '/root'
    }

    It '-PwshPath is for script jobs, and -HostName with -Session is refused' {
        $p = Get-RemoteArgs 0
        { Start-RJob -FilePath /bin/true @p -ErrorAction Stop } | Should -Throw '*-PwshPath applies to script jobs*'
        { Start-RJob { 1 } -PwshPath pwsh -ErrorAction Stop } | Should -Throw '*need -HostName or -Session*'
    }
}

Describe 'Start-RJob -Session' -Skip:([bool]$NoSsh) {
    BeforeAll {
        $script:Session = New-TestSession 1
    }
    AfterAll {
        if ($script:Session) { Remove-PSSession $script:Session -ErrorAction SilentlyContinue }
    }
    AfterEach { Get-RJob | Remove-RJob -Force }

    It 'runs script and native jobs on the session''s host, with its user, port, key and ssh options' {
        $s = $script:Session
        $s.Runspace.ConnectionInfo.Port | Should -Be $script:Ssh.Hosts[1].Port
        $j = Start-RJob -Session $s -SupervisorPath $script:Supervisor -PwshPath $script:RemotePwsh { "script on $env:RJOB_TEST_SSH" }
        $n = Start-RJob -Session $s -SupervisorPath $script:Supervisor -FilePath /bin/sh -ArgumentList '-c', 'echo "native as $(id -un) on $RJOB_TEST_SSH"'
        $null = Wait-RJob $j, $n -Timeout 120
        $j.State | Should -Be 'Completed' -Because $j.StatusMessage
        $n.State | Should -Be 'Completed' -Because $n.StatusMessage
        # RJOB_TEST_SSH is set by the harness's sshd: the jobs ran in ssh sessions, not here.
        Receive-RJob $j | Should -Be "script on $($script:Ssh.Token)"
        Receive-RJob $n | Should -Be "native as root on $($script:Ssh.Token)"
        $j.Location | Should -Be $s.ComputerName
    }

    It 'parameters given override the session''s: a refused port is ssh''s clear error, for a native and a script job' {
        $port = Get-RJobTestFreePort
        { Start-RJob -Session $script:Session -Port $port -SupervisorPath $script:Supervisor -FilePath /bin/true -ErrorAction Stop } |
            Should -Throw "*port $port*Connection refused*"
        # A script job's launch (the assembly rides along) is larger than a socket buffer.
        { Start-RJob -Session $script:Session -Port $port -SupervisorPath $script:Supervisor -PwshPath $script:RemotePwsh { 1 } -ErrorAction Stop } |
            Should -Throw "*port $port*Connection refused*"
    }

    It 'the job does not depend on the session: removing it leaves the job running to its end' {
        $s = New-TestSession 0
        $j = Start-RJob -Session $s -SupervisorPath $script:Supervisor -PwshPath $script:RemotePwsh { Start-Sleep 1; 'after' }
        Remove-PSSession $s
        $j.State | Should -Be 'Running'
        Receive-RJob $j -Wait | Should -Be 'after'
        $j.State | Should -Be 'Completed'
    }

    It 'a closed session is a clear error' {
        $s = New-TestSession 0
        Remove-PSSession $s
        $err = $null
        try { Start-RJob -Session $s -SupervisorPath $script:Supervisor { 1 } -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidSessionState,*'
        "$err" | Should -Match 'not equal to Open'
        Get-RJob | Should -BeNullOrEmpty
    }
}

# The seed's scenario 6: a PowerShell remote job stopped by Stop-RJob (as Stop-Job stops it), and
# the RJob shape. Each leaves a double-forked orphan, a setsid daemon and a TERM-ignoring child on
# the host; the counts of those left are reported, and RJob's must be zero.
Describe 'Scenario 6: stopping a remote job' -Skip:([bool]$NoSsh) {
    BeforeEach { $script:Session = New-TestSession 0 }
    AfterEach {
        if ($script:Session) { Remove-PSSession $script:Session -ErrorAction SilentlyContinue }
        Get-Job | Remove-Job -Force -ErrorAction SilentlyContinue
    }

    It 'Invoke-Command -Session $s { ... } -AsJob, then Stop-RJob -Job: the PowerShell remote job is stopped as Stop-Job does' {
        $m = New-RJobTestMarker
        $job = Invoke-Command -Session $script:Session -ScriptBlock { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m) -AsJob
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 60 | Should -Not -BeNullOrEmpty
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob -Job $job
        $stop = $sw.Elapsed.TotalSeconds
        $job.State | Should -Be 'Stopped'
        $null = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 3
        $afterStop = (Get-RJobTestMarkedPid $m).Count
        Remove-PSSession $script:Session
        $null = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 3
        $afterRemove = (Get-RJobTestMarkedPid $m).Count
        Write-Host ("    PowerShell remote job: Stop-RJob {0:N2} s; marked remote processes left after the stop {1}, after Remove-PSSession {2}" -f $stop, $afterStop, $afterRemove)
        # What PowerShell's own remoting leaves is reported, not RJob's to fix.
        Get-RJobTestMarkedPid $m | ForEach-Object { kill -9 $_ }
    }

    It 'Start-RJob -Session $s { ... }, then Stop-RJob: nothing of the tree is left on the host' {
        $m = New-RJobTestMarker
        $job = Start-RJob -Session $script:Session -SupervisorPath $script:Supervisor -PwshPath $script:RemotePwsh -GraceSeconds 1 { param($sh) sh -c $sh } -ArgumentList (Get-OrphanMaker $m)
        Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -ge 4 } 60 | Should -Not -BeNullOrEmpty
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Stop-RJob -Job $job
        $stop = $sw.Elapsed.TotalSeconds
        $job.State | Should -Be 'Stopped'
        $gone = Measure-RJobTestWait { (Get-RJobTestMarkedPid $m).Count -eq 0 } 3
        $afterStop = (Get-RJobTestMarkedPid $m).Count
        Remove-PSSession $script:Session
        $afterRemove = (Get-RJobTestMarkedPid $m).Count
        Write-Host ("    Start-RJob -Session: Stop-RJob {0:N2} s; marked remote processes left after the stop {1}, after Remove-PSSession {2}" -f $stop, $afterStop, $afterRemove)
        $gone | Should -Not -BeNullOrEmpty
        $afterRemove | Should -Be 0
    }
}

Describe 'Install-RJobRemote' -Skip:([bool]$NoSsh) {
    BeforeAll {
        $script:Target = Join-Path $script:Ssh.Folder "installed-$(Get-Random)/lib/rjob-supervisor"
        $script:LocalHash = (Get-FileHash -Algorithm SHA256 $script:Supervisor).Hash.ToLowerInvariant()
    }

    It 'copies the supervisor (0700, identical), skips an identical copy, copies again with -Force; remote jobs then use it' {
        $p = Get-SshArgs 0
        $r = Install-RJobRemote @p -SupervisorPath $script:Target
        $r.Action | Should -Be 'Installed'
        $r.Sha256 | Should -Be $script:LocalHash
        (Get-FileHash -Algorithm SHA256 $script:Target).Hash.ToLowerInvariant() | Should -Be $script:LocalHash
        (& stat -c '%a' $script:Target) | Should -Be '700'
        $before = (Get-Item $script:Target).LastWriteTimeUtc

        (Install-RJobRemote @p -SupervisorPath $script:Target).Action | Should -Be 'UpToDate'
        (Get-Item $script:Target).LastWriteTimeUtc | Should -Be $before

        # A different file there is replaced, through a temporary name (nothing else left in the folder).
        Set-Content -LiteralPath $script:Target -Value 'not the supervisor'
        (Install-RJobRemote @p -SupervisorPath $script:Target).Action | Should -Be 'Installed'
        (Install-RJobRemote @p -SupervisorPath $script:Target -Force).Action | Should -Be 'Installed'
        (Get-FileHash -Algorithm SHA256 $script:Target).Hash.ToLowerInvariant() | Should -Be $script:LocalHash
        @(Get-ChildItem -Force (Split-Path $script:Target)).Name | Should -Be 'rjob-supervisor'

        $j = Start-RJob -FilePath /bin/echo -ArgumentList 'installed' @p -SupervisorPath $script:Target
        Receive-RJob $j -Wait -AutoRemoveJob | Should -Be 'installed'
    }

    It 'an unreachable host is a clear non-terminating error within seconds, and the next host is still done' {
        $p = Get-SshArgs 0
        $p.HostName = 'rjob-nohost.invalid', '127.0.0.1'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $out = Install-RJobRemote @p -SupervisorPath $script:Target -ErrorVariable e -ErrorAction SilentlyContinue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
        $out.HostName | Should -Be '127.0.0.1'
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'RemoteInstallFailed,RJob.Commands.InstallRJobRemoteCommand'
        $e[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $e[0].TargetObject | Should -Be 'rjob-nohost.invalid'
        "$($e[0])" | Should -Match 'Could not resolve hostname'
        $p.HostName = '127.0.0.1'
        $p.Port = (New-RJobTestSshRefusedPort $script:Ssh).Port
        Install-RJobRemote @p -SupervisorPath $script:Target -ErrorVariable e -ErrorAction SilentlyContinue
        "$($e[0])" | Should -Match 'Connection refused'
    }

    It 'a folder it cannot write is a clear error, and -WhatIf connects to nothing' {
        $p = Get-SshArgs 0
        Install-RJobRemote @p -SupervisorPath /proc/rjob-nope/rjob-supervisor -ErrorVariable e -ErrorAction SilentlyContinue
        "$($e[0])" | Should -Match 'rjob-nope'
        $p.Port = (New-RJobTestSshRefusedPort $script:Ssh).Port
        Install-RJobRemote @p -WhatIf -ErrorVariable e2 | Should -BeNullOrEmpty
        $e2 | Should -BeNullOrEmpty
    }
    It 'a host or option ssh could misread is refused before ssh runs, as for jobs' {
        $p = Get-SshArgs 0
        $p.HostName = '-oProxyCommand=touch /tmp/rjob-never', '127.0.0.1'
        $out = Install-RJobRemote @p -SupervisorPath $script:Target -ErrorVariable e -ErrorAction SilentlyContinue
        $out.HostName | Should -Be '127.0.0.1'
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'InvalidRemote,RJob.Commands.InstallRJobRemoteCommand'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($e[0])" | Should -Match 'not a valid host name'
        $p.HostName = '127.0.0.1'
        $p.Options = @{ 'Proxy Command' = 'x' }
        Install-RJobRemote @p -SupervisorPath $script:Target -ErrorVariable e -ErrorAction SilentlyContinue
        "$($e[0])" | Should -Match 'not a valid ssh option'
    }
}
