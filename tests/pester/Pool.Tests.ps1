# The warm pool of script-job workers (issue 7, item 1): a script job runs in a primed pwsh that
# was waiting before it started, yet sees exactly what a cold start would (the caller's
# environment and location now, nothing of an earlier job), stops as a whole tree, and no worker
# outlives its pwsh.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $script:before = Get-RJobOption

    # Waits until the pool holds $Count primed workers; returns their pids.
    function Wait-PoolReady([int] $Count = 1) {
        Wait-Until { (Get-RJobOption).WorkersReady -ge $Count } -TimeoutSeconds 90 -Because "$Count pool worker(s) to be ready"
        @((Get-RJobOption).WorkerProcessIds)
    }

    # A session that fills a pool of two, prints the workers' pids, then on "go" exits or waits
    # to be killed.
    $script:hostScript = Join-Path $TestDrive 'pool-host.ps1'
    Set-Content -LiteralPath $hostScript -Value @'
param($Helpers)
. $Helpers # imports the module under test
Set-RJobOption -PoolSize 2
Wait-Until { (Get-RJobOption).WorkersReady -ge 2 } -TimeoutSeconds 90 -Because 'the pool to fill'
(Get-RJobOption).WorkerProcessIds -join ','
$null = [Console]::In.ReadLine()
exit 0
'@
}

AfterAll {
    Set-RJobOption -PoolSize 0
    Set-RJobOption -PoolIdleTimeout $before.PoolIdleTimeout
    if ($before.PoolSize -gt 0) { Set-RJobOption -PoolSize $before.PoolSize }
}

Describe 'The warm pool' {
    BeforeAll { Set-RJobOption -PoolSize 2 -PoolIdleTimeout 300 }
    AfterEach { Remove-AllRJob }

    It 'runs each script job in a different worker that was waiting before the job started' {
        $seen = foreach ($i in 1..2) {
            $workers = Wait-PoolReady 1
            $job = Start-RJob { $PID }
            $workers | Should -Contain $job.ProcessId -Because 'the job took a waiting worker'
            $out = $job | Wait-RJob -Timeout 60 | Receive-RJob
            $out | Should -Be $job.ProcessId
            $job.State | Should -Be 'Completed'
            $out
        }
        $seen[0] | Should -Not -Be $seen[1]
    }

    It 'honours -InitializationScript, arguments, $using:, pipeline input and a thrown error' {
        $workers = Wait-PoolReady 1
        $u = 'using value'
        $job = 1, 2 | Start-RJob -InitializationScript { function Get-Init { 'init' } } { param($a) Get-Init; $a; $using:u; $input; throw 'boom' } -ArgumentList 'arg'
        $workers | Should -Contain $job.ProcessId
        $null = $job | Wait-RJob -Timeout 60
        $job.State | Should -Be 'Failed'
        $job.JobStateInfo.Reason.Message | Should -Be 'boom'
        Receive-RJob $job -ErrorAction SilentlyContinue | Should -Be @('init', 'arg', 'using value', 1, 2)
    }

    It 'never shows idle workers as jobs' {
        $null = Wait-PoolReady 2
        @(Get-RJob).Count | Should -Be 0
        @(Get-Job | Where-Object PSJobTypeName -Like 'RJob*').Count | Should -Be 0
    }

    It 'leaves nothing of one job in the next: globals, $env:, location, modules, types' {
        $workers = Wait-PoolReady 2
        $token = New-Token
        $first = Start-RJob {
            param($t)
            $global:PoolLeak = $t
            $env:RJOB_POOL_LEAK = $t
            Set-Location /
            New-Module -Name "PoolLeak$t" -ScriptBlock { function Get-PoolLeak { 1 } } | Import-Module
            Add-Type -TypeDefinition "public static class PoolLeak$t { public static int V = 1; }"
            'done'
        } -ArgumentList $token
        $first | Wait-RJob -Timeout 60 | Receive-RJob | Should -Be 'done'
        $second = Start-RJob {
            param($t)
            [pscustomobject]@{
                Global   = Get-Variable PoolLeak -Scope Global -ValueOnly -ErrorAction Ignore
                Env      = $env:RJOB_POOL_LEAK
                Location = (Get-Location).Path
                Module   = @(Get-Module "PoolLeak$t").Count
                Type     = "PoolLeak$t" -as [type]
            }
        } -ArgumentList $token
        $workers | Should -Contain $first.ProcessId
        $workers | Should -Contain $second.ProcessId
        $r = $second | Wait-RJob -Timeout 60 | Receive-RJob
        $r.Global | Should -BeNullOrEmpty
        $r.Env | Should -BeNullOrEmpty
        $r.Location | Should -Be (Get-Location).Path
        $r.Module | Should -Be 0
        $r.Type | Should -BeNullOrEmpty
    }

    It 'gives a job the environment and directory of its caller now, not of when the pool filled' {
        $workers = Wait-PoolReady 1
        $token = New-Token
        $env:RJOB_POOL_NEW = $token
        $env:RJOB_POOL_GONE = $null
        Push-Location $TestDrive
        try {
            $job = Start-RJob { [pscustomobject]@{ New = $env:RJOB_POOL_NEW; Cwd = [Environment]::CurrentDirectory; Location = (Get-Location).Path } }
        }
        finally {
            Pop-Location
            $env:RJOB_POOL_NEW = $null
        }
        $workers | Should -Contain $job.ProcessId
        $r = $job | Wait-RJob -Timeout 60 | Receive-RJob
        $r.New | Should -Be $token
        $r.Cwd | Should -Be (Get-Item $TestDrive).FullName
        $r.Location | Should -Be (Get-Item $TestDrive).FullName
    }

    It 'drops a variable the caller removed after the pool filled' {
        $env:RJOB_POOL_GONE = 'there'
        try {
            Set-RJobOption -PoolSize 0
            Set-RJobOption -PoolSize 1
            $workers = Wait-PoolReady 1
        }
        finally { $env:RJOB_POOL_GONE = $null }
        $job = Start-RJob { "[$env:RJOB_POOL_GONE]" }
        $workers | Should -Contain $job.ProcessId
        $job | Wait-RJob -Timeout 60 | Receive-RJob | Should -Be '[]'
        Set-RJobOption -PoolSize 2
    }

    It 'takes the cold path when a setting read only at pwsh start differs' {
        $workers = Wait-PoolReady 1
        $old = $env:TZ
        $env:TZ = if ($old -eq 'Europe/Paris') { 'Asia/Tokyo' } else { 'Europe/Paris' }
        try { $job = Start-RJob { $env:TZ } }
        finally {
            $env:TZ = $old
            # The refill after that job may have started workers under the changed TZ: start over.
            Set-RJobOption -PoolSize 0
            Set-RJobOption -PoolSize 2
        }
        $workers | Should -Not -Contain $job.ProcessId
        $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be ($(if ($old -eq 'Europe/Paris') { 'Asia/Tokyo' } else { 'Europe/Paris' }))
    }

    It 'stops a pooled job with its whole tree' {
        $workers = Wait-PoolReady 1
        $token = New-Token
        $job = Start-RJob { param($t) sh -c "sleep $t & sleep $t" } -ArgumentList $token
        $workers | Should -Contain $job.ProcessId
        Wait-Until { @(Get-ProcessWithToken $token).Count -ge 2 } -TimeoutSeconds 30 -Because 'the job tree to start'
        $job | Stop-RJob
        $job.State | Should -Be 'Stopped'
        Wait-Until { @(Get-ProcessWithToken $token).Count -eq 0 -and -not (Test-ProcessAlive $job.ProcessId) } -TimeoutSeconds 15 -Because 'the worker and its tree to end'
    }

    It 'starts a job cold when its worker was killed with SIGKILL' {
        $workers = Wait-PoolReady 2
        foreach ($w in $workers) { kill -9 $w }
        Wait-Until { -not @($workers | Where-Object { Test-ProcessAlive $_ }).Count } -TimeoutSeconds 15 -Because 'the workers to die'
        $job = Start-RJob { 'alive' }
        $workers | Should -Not -Contain $job.ProcessId
        $job | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be 'alive'
        $job.State | Should -Be 'Completed'
    }

    It 'runs five jobs against a pool of two' {
        $workers = Wait-PoolReady 2
        $jobs = 1..5 | ForEach-Object { Start-RJob { param($i) "$i $PID" } -ArgumentList $_ }
        $null = $jobs | Wait-RJob -Timeout 180
        $jobs.State | Should -Be (@('Completed') * 5)
        $out = $jobs | ForEach-Object { Receive-RJob $_ }
        ($out | ForEach-Object { ($_ -split ' ')[0] }) | Should -Be @('1', '2', '3', '4', '5')
        @($jobs.ProcessId | Sort-Object -Unique).Count | Should -Be 5
        @($jobs.ProcessId | Where-Object { $_ -in $workers }).Count | Should -Be 2
    }

    It 'is off inside a job, whose own jobs start cold' {
        $job = Start-RJob { $o = Get-RJobOption; [pscustomobject]@{ Size = $o.PoolSize; Workers = @($o.WorkerProcessIds).Count } }
        $r = $job | Wait-RJob -Timeout 120 | Receive-RJob
        $r.Size | Should -Be 0
        $r.Workers | Should -Be 0
    }

    It 'ends its workers when the size goes to 0' {
        $workers = Wait-PoolReady 2
        Set-RJobOption -PoolSize 0
        (Get-RJobOption).WorkerProcessIds | Should -BeNullOrEmpty
        Wait-Until { -not @($workers | Where-Object { Test-ProcessAlive $_ }).Count } -TimeoutSeconds 15 -Because 'the workers to end'
        Set-RJobOption -PoolSize 2
    }
}

Describe 'No worker outlives its pwsh' {
    It 'after <_> of the pwsh that filled the pool' -ForEach 'exit', 'kill -9' {
        $child = Start-ChildPwsh -ScriptPath $hostScript -Arguments (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        try {
            $workers = @((Read-ChildLine $child 120) -split ',' | ForEach-Object { [int]$_ })
            $workers.Count | Should -Be 2
            @($workers | Where-Object { Test-ProcessAlive $_ }).Count | Should -Be 2
            if ($_ -eq 'kill -9') { $child.Kill() } else { $child.StandardInput.WriteLine('go') }
            $child.WaitForExit(30000) | Should -BeTrue
            Wait-Until { -not @($workers | Where-Object { Test-ProcessAlive $_ }).Count } -TimeoutSeconds 20 -Because 'every worker to end'
        }
        finally {
            Stop-ChildTree $child
        }
    }
}

Describe 'Set-RJobOption' {
    AfterAll { Set-RJobOption -PoolIdleTimeout 300 }

    It 'reads a number as seconds and a TimeSpan as it is' {
        (Set-RJobOption -PoolIdleTimeout 90 -PassThru).PoolIdleTimeout | Should -Be ([TimeSpan]::FromSeconds(90))
        Set-RJobOption -PoolIdleTimeout ([TimeSpan]::FromMinutes(2))
        (Get-RJobOption).PoolIdleTimeout | Should -Be ([TimeSpan]::FromMinutes(2))
    }

    It 'refuses <Name> with a parameter binding error' -ForEach @(
        @{ Name = 'a negative size'; Splat = @{ PoolSize = -1 }; Id = 'ParameterArgumentValidationError' }
        @{ Name = 'a size over the limit'; Splat = @{ PoolSize = 1000 }; Id = 'ParameterArgumentValidationError' }
        @{ Name = 'a zero idle timeout'; Splat = @{ PoolIdleTimeout = 0 }; Id = 'ParameterArgumentValidationError' }
        @{ Name = 'an idle timeout that is not a time'; Splat = @{ PoolIdleTimeout = 'soon' }; Id = 'ParameterArgumentTransformationError' }
    ) {
        { Set-RJobOption @Splat -ErrorAction Stop } | Should -Throw -ErrorId "$Id,RJob.Commands.SetRJobOptionCommand"
    }

    It 'lets go of idle workers after the idle timeout' {
        Set-RJobOption -PoolSize 1 -PoolIdleTimeout 300
        try {
            $workers = Wait-PoolReady 1
            Set-RJobOption -PoolIdleTimeout 2
            Wait-Until { -not @($workers | Where-Object { Test-ProcessAlive $_ }).Count } -TimeoutSeconds 20 -Because 'the idle worker to be let go'
            (Get-RJobOption).WorkerProcessIds | Should -BeNullOrEmpty
        }
        finally { Set-RJobOption -PoolSize 0 -PoolIdleTimeout 300 }
    }
}
