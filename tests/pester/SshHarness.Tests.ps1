# Proves the ssh test harness (SshHosts.ps1) the remote-job tests stand on: real logins, output and
# exit codes, fast clear failures, and nothing of ours left after Stop-RJobTestSshHosts.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'SshHosts.ps1')
    $sshUnavailable = Get-RJobTestSshUnavailableReason
    if ($sshUnavailable) { Write-Warning "Skipping the ssh harness tests: $sshUnavailable" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'SshHosts.ps1')

    function Test-LiveProcess([int] $ProcessId) {
        try { $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat") } catch { return $false }
        $stat.Substring($stat.LastIndexOf(')') + 2, 1) -ne 'Z'
    }

    # Live processes started by sessions of $Ssh whose command line is exactly $Command.
    function Get-SessionProcess($Ssh, [string] $Command) {
        Get-RJobTestProcessTable $Ssh | Where-Object { $_.Marked -and $_.Command -eq $Command }
    }

    function Wait-Condition([scriptblock] $Condition, [double] $TimeoutSeconds, [string] $Because) {
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
        while (-not (& $Condition)) {
            if ([datetime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because" }
            Start-Sleep -Milliseconds 50
        }
    }
}

Describe 'The ssh test hosts' -Skip:([bool]$sshUnavailable) {
    BeforeAll {
        $ssh = Start-RJobTestSshHosts -Names hostA, hostB
    }
    AfterAll {
        Stop-RJobTestSshHosts $ssh
    }

    It 'logs in to <_> on its own sshd, with host key checking on' -ForEach 'hostA', 'hostB' {
        $h = $ssh.Hosts | Where-Object Name -EQ $_
        $r = Invoke-RJobTestSsh $ssh $_ 'echo "$RJOB_TEST_SSH $SSH_CONNECTION"'
        $r.Stderr | Should -BeNullOrEmpty
        $r.ExitCode | Should -Be 0
        $token, $null, $null, $null, $serverPort = -split $r.Stdout
        $token | Should -Be $ssh.Token
        $serverPort | Should -Be $h.Port
        Test-LiveProcess $h.Pid | Should -BeTrue
        Get-Content -Raw $ssh.ConfigPath | Should -Match '(?m)^\s*StrictHostKeyChecking yes$'
    }

    It 'brings back stdout, stderr and the exit code of a command' {
        $r = Invoke-RJobTestSsh $ssh hostA 'echo hi; echo oops >&2; exit 3'
        $r.Stdout | Should -BeExactly "hi`n"
        $r.Stderr | Should -BeExactly "oops`n"
        $r.ExitCode | Should -Be 3
    }

    It 'passes stdin to the command' {
        $r = Invoke-RJobTestSsh $ssh hostB 'tr a-z A-Z' -Stdin "abc`n"
        $r.Stdout | Should -BeExactly "ABC`n"
        $r.ExitCode | Should -Be 0
    }

    It 'reaches a host with port, user, key and -o options alone (no -F config)' {
        $h = $ssh.Hosts | Where-Object Name -EQ hostB
        $options = foreach ($o in $h.Options.GetEnumerator()) { '-o'; "$($o.Key)=$($o.Value)" }
        $r = Invoke-RJobTestSsh $ssh $h.HostName 'echo $RJOB_TEST_SSH' -ConfigPath /dev/null `
            -SshOption (@('-p', $h.Port, '-l', $h.UserName, '-i', $h.KeyFilePath) + $options)
        $r.Stderr | Should -BeNullOrEmpty
        $r.Stdout.Trim() | Should -Be $ssh.Token
    }

    It 'serves PowerShell remoting (Subsystem powershell): New-PSSession with host, port, user, key and options' {
        $h = $ssh.Hosts | Where-Object Name -EQ hostA
        $s = New-PSSession -HostName $h.HostName -Port $h.Port -UserName $h.UserName -KeyFilePath $h.KeyFilePath -Options ([hashtable]$h.Options) -ErrorAction Stop
        try {
            $s.State | Should -Be 'Opened'
            Invoke-Command -Session $s { $env:RJOB_TEST_SSH } | Should -Be $ssh.Token
        }
        finally { Remove-PSSession $s }
    }

    It 'fails fast on a host key mismatch, with ssh''s message and no prompt' {
        $wrong = New-RJobTestSshWrongHostKey $ssh
        $r = Invoke-RJobTestSsh $ssh hostA 'echo reached' -ConfigPath $wrong.ConfigPath -TimeoutSeconds 15
        $r.TimedOut | Should -BeFalse
        $r.ExitCode | Should -Be 255
        $r.Stdout | Should -BeNullOrEmpty
        $r.Stderr | Should -Match 'REMOTE HOST IDENTIFICATION HAS CHANGED'
        $r.Stderr | Should -Match 'Host key verification failed\.'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'refuses a host whose key is not known at all' {
        $r = Invoke-RJobTestSsh $ssh hostA 'echo reached' -SshOption '-o', 'UserKnownHostsFile=/dev/null' -TimeoutSeconds 15
        $r.ExitCode | Should -Be 255
        $r.Stdout | Should -BeNullOrEmpty
        $r.Stderr | Should -Match 'No ED25519 host key is known for hosta and you have requested strict checking\.'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'fails fast on a client key the host does not authorize' {
        $wrong = New-RJobTestSshWrongClientKey $ssh
        $r = Invoke-RJobTestSsh $ssh hostB 'echo reached' -ConfigPath $wrong.ConfigPath -TimeoutSeconds 15
        $r.TimedOut | Should -BeFalse
        $r.ExitCode | Should -Be 255
        $r.Stdout | Should -BeNullOrEmpty
        $r.Stderr | Should -Match 'Permission denied \(publickey\)'
        $r.Seconds | Should -BeLessThan 10
    }

    It 'fails within seconds on a port nothing listens on' {
        $refused = New-RJobTestSshRefusedPort $ssh
        $r = Invoke-RJobTestSsh $ssh hostA 'echo reached' -ConfigPath $refused.ConfigPath -TimeoutSeconds 15
        $r.TimedOut | Should -BeFalse
        $r.ExitCode | Should -Be 255
        $r.Stderr | Should -Match "port $($refused.Port): Connection refused"
        $r.Seconds | Should -BeLessThan 5
    }
}

Describe 'Stop-RJobTestSshHosts' -Skip:([bool]$sshUnavailable) {
    It 'kills the listener, its connections, their sessions and what they double-forked, by pid' {
        $ssh = Start-RJobTestSshHosts -Names hostC
        $listener = $ssh.Hosts[0].Pid
        $client = $null
        try {
            # A session still running, holding a child and a setsid'd, double-forked daemon that
            # has left sshd's process tree.
            $psi = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/ssh')
            foreach ($a in '-F', $ssh.ConfigPath, 'hostC', '(setsid sleep 301 &); exec sleep 300') { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardInput = $true
            $psi.UseShellExecute = $false
            $client = [System.Diagnostics.Process]::Start($psi)
            Wait-Condition { (Get-SessionProcess $ssh 'sleep 300') -and (Get-SessionProcess $ssh 'sleep 301') } 20 'the remote sleeps'
            $sessions = @(Get-SessionProcess $ssh 'sleep 300') + @(Get-SessionProcess $ssh 'sleep 301')
            $sessions.Where({ $_.Command -eq 'sleep 301' }).Ppid | Should -Not -Be $listener
            $all = Get-RJobTestSshProcess $ssh
            $all | Should -Contain $listener
            $all | Should -Contain $client.Id
            $sessions.Pid | ForEach-Object { $all | Should -Contain $_ }
            # The per-connection sshd processes hang below the listener.
            @(Get-RJobTestProcessTable $ssh | Where-Object Ppid -EQ $listener).Count | Should -BeGreaterThan 0

            Stop-RJobTestSshHosts $ssh

            foreach ($p in $all) { Test-LiveProcess $p | Should -BeFalse -Because "pid $p was started for the test hosts" }
            Get-RJobTestSshProcess $ssh | Should -BeNullOrEmpty
            Test-Path -LiteralPath $ssh.Folder | Should -BeFalse
            $client.HasExited | Should -BeTrue
        }
        finally {
            if ($client) { $client.Dispose() }
            Stop-RJobTestSshHosts $ssh
        }
    }
}
