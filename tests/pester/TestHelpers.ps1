# Dot-sourced by every *.Tests.ps1 in BeforeAll: loads the module and gives waits that poll a
# real condition with a deadline.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
# scripts/test installs the packaged module as a user would and names that folder in this file
# (deleted when it ends); run by hand, the tests use the checkout's module/.
$script:RJobManifest = Join-Path $script:RepoRoot 'module/RJob.psd1'
$installedModule = Join-Path $script:RepoRoot 'target/test-module.path'
if (Test-Path -LiteralPath $installedModule) {
    $installedManifest = Join-Path ([IO.File]::ReadAllText($installedModule).Trim()) 'RJob.psd1'
    if (Test-Path -LiteralPath $installedManifest) { $script:RJobManifest = $installedManifest }
}
Import-Module $script:RJobManifest -Force
# scripts/test runs the suite twice: with the warm pool as it is by default, then with it off.
if ($env:RJOB_TEST_POOL_SIZE) { Set-RJobOption -PoolSize ([int]$env:RJOB_TEST_POOL_SIZE) }

function Wait-Until {
    param([Parameter(Mandatory)] [scriptblock] $Condition, [double] $TimeoutSeconds = 10, [string] $Because = 'the condition')
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because" }
        Start-Sleep -Milliseconds 20
    }
}

# Live processes (not zombies) whose command line holds $Token.
function Get-ProcessWithToken([string] $Token) {
    foreach ($dir in Get-ChildItem /proc -Directory -ErrorAction Ignore) {
        if ($dir.Name -notmatch '^\d+$') { continue }
        try {
            $cmd = [IO.File]::ReadAllText("/proc/$($dir.Name)/cmdline")
            $stat = [IO.File]::ReadAllText("/proc/$($dir.Name)/stat")
        }
        catch { continue }
        $state = $stat.Substring($stat.LastIndexOf(')') + 2, 1)
        if ($state -ne 'Z' -and $cmd.Contains($Token)) { [int]$dir.Name }
    }
}

function Test-ProcessAlive([int] $ProcessId) {
    try { $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat") } catch { return $false }
    $stat.Substring($stat.LastIndexOf(')') + 2, 1) -ne 'Z'
}

function New-Token { [string](Get-Random -Minimum 1000000 -Maximum 9999999) }

function Remove-AllRJob { Get-RJob | Remove-RJob -Force -Confirm:$false }

# How this pwsh is started again, as the module starts a script job's pwsh: a pwsh installed as a
# .NET tool runs as "dotnet pwsh.dll", a native install as pwsh itself.
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    switch ([IO.Path]::GetFileNameWithoutExtension($exe)) {
        'dotnet' { @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
        'pwsh' { @($exe) }
        default { @(Join-Path $PSHOME 'pwsh') }
    }
}

# Starts a separate pwsh on a script file, stdin and stdout redirected; -Prefix runs it through a
# wrapper (perl to ignore SIGCHLD, unshare to make it PID 1). It is the real pwsh, started as this
# one was: the .NET tool's `pwsh` launcher would run it as a child of its own, so killing the
# launcher would not kill pwsh.
function Start-ChildPwsh {
    param([Parameter(Mandatory)] [string] $ScriptPath, [string[]] $Arguments = @(), [string[]] $Prefix = @())
    $pwsh = Get-PwshCommand
    $argv = @($Prefix) + @($pwsh) + @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + @($Arguments)
    $info = [System.Diagnostics.ProcessStartInfo]::new($argv[0])
    foreach ($a in $argv[1..($argv.Count - 1)]) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardInput = $true
    $info.UseShellExecute = $false
    [System.Diagnostics.Process]::Start($info)
}

# The next line the child prints, or an error after the timeout that shows where its processes
# wait (each thread's state and kernel wait channel), so a hang seen once can be told apart.
function Read-ChildLine([System.Diagnostics.Process] $Process, [int] $TimeoutSeconds = 60) {
    $task = $Process.StandardOutput.ReadLineAsync()
    if (-not $task.Wait([TimeSpan]::FromSeconds($TimeoutSeconds))) {
        throw "no line from pid $($Process.Id) in $TimeoutSeconds s; its processes:`n$((Get-ProcessTreeReport $Process.Id) -join "`n")"
    }
    $task.Result
}

# One line per thread of a process and its descendants: pid/tid, state, wait channel, command.
function Get-ProcessTreeReport([int] $Root) {
    $todo = [System.Collections.Generic.Queue[int]]::new(); $todo.Enqueue($Root)
    while ($todo.Count) {
        $procId = $todo.Dequeue()
        $cmd = try { [IO.File]::ReadAllText("/proc/$procId/cmdline").Replace([char]0, ' ').Trim() } catch { '?' }
        if ($cmd.Length -gt 120) { $cmd = $cmd.Substring(0, 120) + '…' }
        foreach ($task in Get-ChildItem "/proc/$procId/task" -Directory -ErrorAction Ignore) {
            try {
                $stat = [IO.File]::ReadAllText("$($task.FullName)/stat")
                $wchan = [IO.File]::ReadAllText("$($task.FullName)/wchan")
                $open, $close = $stat.IndexOf([char]'('), $stat.LastIndexOf([char]')')
                $comm = $stat.Substring($open + 1, $close - $open - 1)
                $state = $stat.Substring($close + 2, 1)
                "  $procId/$($task.Name) $state $wchan [$comm] $cmd"
            }
            catch { }
        }
        foreach ($c in (Get-Content "/proc/$procId/task/*/children" -ErrorAction Ignore) -split ' ') {
            if ($c) { $todo.Enqueue([int]$c) }
        }
    }
}

# Kills a child process and everything it started (a wrapper such as timeout or unshare would
# otherwise leave its pwsh running, holding the test run's output open).
function Stop-ChildTree([System.Diagnostics.Process] $Process) {
    if ($Process -and -not $Process.HasExited) {
        try { $Process.Kill($true) } catch { }
        $null = $Process.WaitForExit(10000)
    }
}
