# Dot-sourced by the remote tests: real OpenSSH servers on 127.0.0.1, one per test "host", run as
# this process's own children from a private temporary folder, reached through an `ssh -F` config
# that keeps host key checking on. Self-contained: it does not load the RJob module.
#
#   $ssh = Start-RJobTestSshHosts -Names hostA, hostB
#   Invoke-RJobTestSsh $ssh hostA 'echo hi; exit 3'     # .ExitCode 3, .Stdout "hi`n"
#   Stop-RJobTestSshHosts $ssh                          # by pid; removes the folder
#
# Everything started here carries the folder's unique name: sshd's command line holds its config
# path, the clients' command lines hold the -F config (or an option) path, and every session
# process gets RJOB_TEST_SSH=<token> from sshd's SetEnv, so cleanup can find them by pid.

$script:RJobTestSshd = '/usr/sbin/sshd'

# $null when real sshd instances can run here, else why not (so a test can skip and say so).
function Get-RJobTestSshUnavailableReason {
    foreach ($tool in $script:RJobTestSshd, '/usr/bin/ssh', '/usr/bin/ssh-keygen') {
        if (-not (Test-Path -LiteralPath $tool)) { return "$tool is missing (scripts/setup installs openssh-server and openssh-client)" }
    }
    $null
}

# A TCP port on 127.0.0.1 that nothing listens on (bound to port 0, then released).
function Get-RJobTestFreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Invoke-RJobTestSshTool([string] $Path, [string[]] $Arguments) {
    $out = & $Path @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$Path $($Arguments -join ' ') failed ($LASTEXITCODE): $out" }
}

function New-RJobTestSshKey([string] $Path, [string] $Comment) {
    Invoke-RJobTestSshTool /usr/bin/ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', $Comment, '-f', $Path)
    $Path
}

# The command sshd runs for `Subsystem powershell`: this very pwsh (the .NET tool's real process is
# `dotnet pwsh.dll`; its launcher would run pwsh as a grandchild).
function Get-RJobTestPwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { "$exe $(Join-Path $PSHOME 'pwsh.dll')" } else { $exe }
}

function Write-RJobTestSshdConfig($Ssh, $Host_) {
    # StrictModes no: sshd refuses keys under /tmp ("bad ownership or modes for directory /tmp").
    # SetEnv marks every session process so cleanup finds what double-forked away.
    $lines = @(
        'ListenAddress 127.0.0.1'
        "Port $($Host_.Port)"
        "HostKey $($Host_.HostKeyPath)"
        "AuthorizedKeysFile $(Join-Path $Ssh.Folder 'authorized_keys')"
        'PubkeyAuthentication yes'
        'PasswordAuthentication no'
        'KbdInteractiveAuthentication no'
        'UsePAM no'
        'PermitRootLogin prohibit-password'
        'StrictModes no'
        "PidFile $(Join-Path $Ssh.Folder "sshd_$($Host_.Name).pid")"
        "SetEnv RJOB_TEST_SSH=$($Ssh.Token)"
        'MaxStartups 100:30:200'
        'MaxSessions 100'
        # scp speaks SFTP since OpenSSH 9.0 (copying rjob-supervisor to a host); in-process, no shell.
        'Subsystem sftp internal-sftp'
        "Subsystem powershell $($Ssh.PwshCommand) -sshs -NoLogo"
    )
    [IO.File]::WriteAllLines($Host_.SshdConfigPath, [string[]]$lines)
}

# The ssh_config for every host; -Override replaces settings (IdentityFile, UserKnownHostsFile,
# Port) to build the broken variants.
function Write-RJobTestSshClientConfig($Ssh, [string] $Path, [hashtable] $Override = @{}) {
    $lines = foreach ($h in @($Ssh.Hosts | Where-Object Port -gt 0)) {
        "Host $($h.Name)"
        '  HostName 127.0.0.1'
        "  Port $(if ($Override.Port) { $Override.Port } else { $h.Port })"
        "  HostKeyAlias $($h.Name)"
    }
    $lines += @(
        'Host *'
        '  User root'
        "  IdentityFile $(if ($Override.IdentityFile) { $Override.IdentityFile } else { $Ssh.ClientKeyPath })"
        '  IdentitiesOnly yes'
        "  UserKnownHostsFile $(if ($Override.UserKnownHostsFile) { $Override.UserKnownHostsFile } else { $Ssh.KnownHostsPath })"
        '  GlobalKnownHostsFile /dev/null'
        '  StrictHostKeyChecking yes'
        '  UpdateHostKeys no'
        '  CheckHostIP no'
        '  BatchMode yes'
        '  ConnectTimeout 5'
    )
    [IO.File]::WriteAllLines($Path, [string[]]$lines)
    $Path
}

# Runs the system ssh client (or any program, -FilePath) with a deadline; stdin is closed unless
# -Stdin is given. Returns ExitCode (null when killed at the deadline), Stdout, Stderr, Seconds.
function Invoke-RJobTestSsh {
    param(
        [Parameter(Mandatory, Position = 0)] $Ssh,
        [Parameter(Mandatory, Position = 1)] [string] $HostName,
        [Parameter(Position = 2)] [string] $Command = 'true',
        [string[]] $SshOption = @(),
        [string] $ConfigPath,
        [string] $Stdin,
        [double] $TimeoutSeconds = 20
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/ssh')
    $psi.ArgumentList.Add('-F'); $psi.ArgumentList.Add($(if ($ConfigPath) { $ConfigPath } else { $Ssh.ConfigPath }))
    foreach ($o in $SshOption) { $psi.ArgumentList.Add($o) }
    $psi.ArgumentList.Add($HostName)
    if ($Command) { $psi.ArgumentList.Add($Command) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $p = [System.Diagnostics.Process]::Start($psi)
    try {
        $stdout = $p.StandardOutput.ReadToEndAsync()
        $stderr = $p.StandardError.ReadToEndAsync()
        if ($Stdin) { $p.StandardInput.Write($Stdin) }
        $p.StandardInput.Close()
        $exited = $p.WaitForExit([int]($TimeoutSeconds * 1000))
        if (-not $exited) { $p.Kill($true); $p.WaitForExit() }
        [pscustomobject]@{
            ExitCode = if ($exited) { $p.ExitCode } else { $null }
            Stdout   = $stdout.GetAwaiter().GetResult()
            Stderr   = $stderr.GetAwaiter().GetResult()
            Seconds  = $watch.Elapsed.TotalSeconds
            TimedOut = -not $exited
        }
    }
    finally { $p.Dispose() }
}

function Start-RJobTestSshd($Ssh, $Host_) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/setpriv')
    # --pdeathsig KILL, then exec: sshd keeps setpriv's pid and dies with this pwsh even when no
    # cleanup runs (a killed test run), so no listener outlives its tests. The signal comes when
    # the starting *thread* ends: start the hosts from the test's own thread, not a thread job.
    foreach ($a in '--pdeathsig', 'KILL', '--', $script:RJobTestSshd, '-D', '-e', '-f', $Host_.SshdConfigPath, '-E', $Host_.LogPath) {
        $psi.ArgumentList.Add($a)
    }
    # Pipes nobody writes to (logs go to -E's file): sshd never holds this runner's terminal.
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $Host_.Process = [System.Diagnostics.Process]::Start($psi)
    $Host_.Pid = $Host_.Process.Id
}

# Waits until a real login to the host succeeds; $false when sshd exited first (port taken).
function Wait-RJobTestSshLogin($Ssh, $Host_, [double] $TimeoutSeconds) {
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    $last = $null
    while ([datetime]::UtcNow -lt $deadline) {
        if ($Host_.Process.HasExited) { return $false }
        $last = Invoke-RJobTestSsh $Ssh $Host_.Name 'true' -TimeoutSeconds 10
        if ($last.ExitCode -eq 0) { return $true }
        Start-Sleep -Milliseconds 50
    }
    throw "sshd for $($Host_.Name) (pid $($Host_.Pid), port $($Host_.Port)) accepted no login within $TimeoutSeconds s; ssh said: $($last.Stderr.Trim()); sshd log: $(Get-Content -Raw -LiteralPath $Host_.LogPath -ErrorAction Ignore)"
}

function Start-RJobTestSshHosts {
    [CmdletBinding()]
    param(
        # Host aliases in the ssh config and known_hosts: plain names only.
        [ValidatePattern('^[A-Za-z][A-Za-z0-9_-]*$')] [ValidateCount(1, 8)] [string[]] $Names = @('hostA', 'hostB'),
        [double] $TimeoutSeconds = 20
    )
    $duplicate = $Names | Group-Object | Where-Object Count -GT 1 | Select-Object -First 1
    if ($duplicate) { throw "Host name '$($duplicate.Name)' is given twice" }
    $reason = Get-RJobTestSshUnavailableReason
    if ($reason) { throw "Cannot start test sshd: $reason" }
    # sshd refuses to start without it ("Missing privilege separation directory: /run/sshd");
    # Debian creates it (0755) only when its service starts.
    if (-not (Test-Path -LiteralPath /run/sshd)) {
        $null = [IO.Directory]::CreateDirectory('/run/sshd', [IO.UnixFileMode]'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
    }
    $token = [Guid]::NewGuid().ToString('N').Substring(0, 12)
    $folder = Join-Path ([IO.Path]::GetTempPath()) "rjob-ssh-$token"
    $null = [IO.Directory]::CreateDirectory($folder, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    $ssh = [pscustomobject]@{
        Token          = $token
        Folder         = $folder
        ConfigPath     = Join-Path $folder 'ssh_config'
        ClientKeyPath  = Join-Path $folder 'client_ed25519'
        KnownHostsPath = Join-Path $folder 'known_hosts'
        PwshCommand    = Get-RJobTestPwshCommand
        Hosts          = @()
    }
    try {
        $null = New-RJobTestSshKey $ssh.ClientKeyPath "rjob-test-client-$token"
        [IO.File]::Copy("$($ssh.ClientKeyPath).pub", (Join-Path $folder 'authorized_keys'))
        $ssh.Hosts = @(foreach ($name in $Names) {
                $keyPath = New-RJobTestSshKey (Join-Path $folder "host_$name") "rjob-test-$name-$token"
                [pscustomobject]@{
                    Name           = $name
                    Port           = 0
                    Pid            = 0
                    HostKeyPath    = $keyPath
                    HostPublicKey  = [IO.File]::ReadAllText("$keyPath.pub").Trim()
                    SshdConfigPath = Join-Path $folder "sshd_$name.conf"
                    LogPath        = Join-Path $folder "sshd_$name.log"
                    Process        = $null
                    # The same connection without the -F config, for APIs that take host, port,
                    # user, key and -o options (Start-RJob -HostName, New-PSSession -HostName).
                    HostName       = '127.0.0.1'
                    UserName       = 'root'
                    KeyFilePath    = $ssh.ClientKeyPath
                    Options        = [ordered]@{
                        HostKeyAlias          = $name
                        UserKnownHostsFile    = $ssh.KnownHostsPath
                        GlobalKnownHostsFile  = '/dev/null'
                        StrictHostKeyChecking = 'yes'
                        UpdateHostKeys        = 'no'
                        IdentitiesOnly        = 'yes'
                        BatchMode             = 'yes'
                        ConnectTimeout        = '5'
                    }
                }
            })
        # Host keys are known under their alias only: the client checks them (StrictHostKeyChecking
        # yes) and never learns new ones.
        [IO.File]::WriteAllLines($ssh.KnownHostsPath, [string[]]@($ssh.Hosts | ForEach-Object { "$($_.Name) $($_.HostPublicKey)" }))
        foreach ($h in $ssh.Hosts) {
            # The port is free when chosen but another process may bind it before sshd does:
            # sshd then exits ("Cannot bind any address") and the host gets another port.
            for ($attempt = 1; ; $attempt++) {
                $h.Port = Get-RJobTestFreePort
                Write-RJobTestSshdConfig $ssh $h
                $null = Write-RJobTestSshClientConfig $ssh $ssh.ConfigPath
                Start-RJobTestSshd $ssh $h
                if (Wait-RJobTestSshLogin $ssh $h $TimeoutSeconds) { break }
                if ($attempt -ge 3) { throw "sshd for $($h.Name) exited at start: $(Get-Content -Raw -LiteralPath $h.LogPath -ErrorAction Ignore)" }
            }
        }
        $ssh
    }
    catch {
        Stop-RJobTestSshHosts $ssh
        throw
    }
}

# Live (non-zombie) processes: pid, parent pid, whether the environment holds this harness's
# marker, whether the command line names its folder, and (for those two kinds only) the command
# line. Native cat and grep do the reading: a /proc walk in script, or ps, takes seconds on a busy
# machine.
function Get-RJobTestProcessTable($Ssh) {
    $marked = Get-RJobTestPidOfMatch "RJOB_TEST_SSH=$($Ssh.Token)" environ
    $named = Get-RJobTestPidOfMatch $Ssh.Folder cmdline
    foreach ($line in & /bin/sh -c 'exec cat /proc/[0-9]*/stat 2>/dev/null') {
        $close = $line.LastIndexOf(')')
        if ($close -lt 0) { continue }
        $fields = $line.Substring($close + 2).Split(' ')
        if ($fields[0] -eq 'Z') { continue }
        $id = [int]$line.Substring(0, $line.IndexOf(' '))
        $command = $null
        if ($marked.Contains($id) -or $named.Contains($id)) {
            try { $command = [IO.File]::ReadAllText("/proc/$id/cmdline").Replace([char]0, ' ').TrimEnd() } catch { continue }
        }
        [pscustomobject]@{ Pid = $id; Ppid = [int]$fields[1]; Marked = $marked.Contains($id); Named = $named.Contains($id); Command = $command }
    }
}

# Pids whose /proc/<pid>/<file> contains $Text.
function Get-RJobTestPidOfMatch([string] $Text, [string] $File) {
    $set = [System.Collections.Generic.HashSet[int]]::new()
    foreach ($f in & /bin/sh -c 'exec grep -lasF -e "$1" /proc/[0-9]*/"$2"' sh $Text $File) {
        if ($f -match '^/proc/(\d+)/') { $null = $set.Add([int]$Matches[1]) }
    }
    , $set
}

# Every live process this harness is responsible for: the sshd listeners and their descendants
# (per-connection sshd processes and sessions), session processes that left that tree (marked by
# SetEnv), and local clients whose command line names the folder (ssh -F, ControlMaster daemons).
function Get-RJobTestSshProcess {
    param([Parameter(Mandatory, Position = 0)] $Ssh)
    $table = @(Get-RJobTestProcessTable $Ssh)
    $ours = [System.Collections.Generic.HashSet[int]]::new()
    foreach ($p in $table) {
        if ($p.Pid -eq $PID) { continue }
        if ($p.Marked -or $p.Named -or $p.Pid -in $Ssh.Hosts.Pid) { $null = $ours.Add($p.Pid) }
    }
    # Descendants of what was found, until nothing new.
    do {
        $added = 0
        foreach ($p in $table) {
            if ($p.Pid -ne $PID -and $ours.Contains($p.Ppid) -and $ours.Add($p.Pid)) { $added++ }
        }
    } while ($added)
    [int[]]@($ours)
}

function Stop-RJobTestSshHosts {
    [CmdletBinding()]
    param([Parameter(Position = 0)] $Ssh, [double] $TimeoutSeconds = 10)
    if (-not $Ssh) { return }
    # Stop the listeners first so they fork no new connection while their trees are collected.
    foreach ($h in $Ssh.Hosts) {
        if ($h.Process -and -not $h.Process.HasExited) { & /usr/bin/kill -s STOP $h.Pid 2>$null }
    }
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $left = Get-RJobTestSshProcess $Ssh
        if (-not $left) { break }
        if ([datetime]::UtcNow -gt $deadline) { throw "Processes of the test sshd are still alive after $TimeoutSeconds s: $($left -join ', ')" }
        foreach ($p in $left) { try { [System.Diagnostics.Process]::GetProcessById($p).Kill() } catch { } }
        Start-Sleep -Milliseconds 20
    }
    foreach ($h in $Ssh.Hosts) {
        if ($h.Process) { $h.Process.WaitForExit(); $h.Process.Dispose(); $h.Process = $null }
    }
    if (Test-Path -LiteralPath $Ssh.Folder) { Remove-Item -LiteralPath $Ssh.Folder -Recurse -Force }
}

# A known_hosts file that names every host with a key it does not have (for a mismatch), and an
# ssh_config using it.
function New-RJobTestSshWrongHostKey {
    param([Parameter(Mandatory, Position = 0)] $Ssh)
    $key = New-RJobTestSshKey (Join-Path $Ssh.Folder "wrong_host_$([Guid]::NewGuid().ToString('N').Substring(0, 8))") 'rjob-test-wrong-host'
    $public = [IO.File]::ReadAllText("$key.pub").Trim()
    $known = "$key.known_hosts"
    [IO.File]::WriteAllLines($known, [string[]]@($Ssh.Hosts | ForEach-Object { "$($_.Name) $public" }))
    [pscustomobject]@{
        KnownHostsPath = $known
        ConfigPath     = Write-RJobTestSshClientConfig $Ssh "$key.ssh_config" @{ UserKnownHostsFile = $known }
    }
}

# A client key no host authorizes, and an ssh_config offering only it (a `-i` on top of the normal
# config would still try the authorized key).
function New-RJobTestSshWrongClientKey {
    param([Parameter(Mandatory, Position = 0)] $Ssh)
    $key = New-RJobTestSshKey (Join-Path $Ssh.Folder "wrong_client_$([Guid]::NewGuid().ToString('N').Substring(0, 8))") 'rjob-test-wrong-client'
    [pscustomobject]@{
        KeyPath    = $key
        ConfigPath = Write-RJobTestSshClientConfig $Ssh "$key.ssh_config" @{ IdentityFile = $key }
    }
}

# A port nothing listens on, and an ssh_config sending every host there (connection refused).
function New-RJobTestSshRefusedPort {
    param([Parameter(Mandatory, Position = 0)] $Ssh)
    $port = Get-RJobTestFreePort
    [pscustomobject]@{
        Port       = $port
        ConfigPath = Write-RJobTestSshClientConfig $Ssh (Join-Path $Ssh.Folder "refused_$port.ssh_config") @{ Port = $port }
    }
}

# A marker for the processes of one remote test: `sleep <marker>` is a valid, unique sleep.
function New-RJobTestMarker { '299.' + (Get-Random -Minimum 100000000 -Maximum 999999999) }

# Live processes (zombies left out: gone, only not yet reaped) running `sleep <marker>`; pgrep
# reads /proc and never matches itself.
function Get-RJobTestMarkedPid([string] $Marker) {
    $out = & pgrep -f -- "sleep $Marker" 2>$null
    @($out | Where-Object { $_ } | ForEach-Object { [int]$_ } | Where-Object {
            (Get-Content "/proc/$_/stat" -ErrorAction SilentlyContinue) -notmatch '^\d+ \(.*\) Z '
        })
}

# Seconds until the condition held, $null at the deadline (for tests that report how long).
function Measure-RJobTestWait([scriptblock] $Condition, [double] $Seconds) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    while (-not (& $Condition)) {
        if ($sw.Elapsed.TotalSeconds -ge $Seconds) { return $null }
        Start-Sleep -Milliseconds 50
    }
    $sw.Elapsed.TotalSeconds
}
