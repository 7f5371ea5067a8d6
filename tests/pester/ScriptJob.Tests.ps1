# Script jobs (issue 6, "Start-RJob"): the job host runs the script in a fresh runspace of a child
# pwsh and sends every stream back whole, in order, on a channel no text output can forge.

BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Script jobs' {
    AfterEach { Remove-AllRJob }

    It 'run in a fresh runspace: none of the job host''s variables or functions leak in' {
        $job = Start-RJob {
            [pscustomobject]@{
                Functions = @((Get-ChildItem function:).Name)
                Leaked    = @(Get-Variable job, writer, payload, records, runspace, ps, output -ErrorAction Ignore).Count
                HostCmd   = [bool](Get-Command Send-RJobRecord -ErrorAction Ignore)
            }
        }
        $seen = $job | Wait-RJob -Timeout 120 | Receive-RJob
        $fresh = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
        $freshFunctions = $fresh.AddScript('(Get-ChildItem function:).Name').Invoke()
        $fresh.Dispose()
        $seen.Leaked | Should -Be 0
        $seen.HostCmd | Should -BeFalse
        ($seen.Functions | Sort-Object) | Should -Be ($freshFunctions | Sort-Object)
    }

    It 'send whole ErrorRecords: exception type, category, target, error id and script position' {
        $job = Start-RJob {
            function Test-Fails { Write-Error -Message 'soft' -Category InvalidData -TargetObject 'the target' -ErrorId 'MyErrorId' }
            Test-Fails
        }
        $null = Wait-RJob $job -Timeout 120
        $e = @($job.ChildJobs[0].Error)[0]
        $e.Exception.Message | Should -Be 'soft'
        $e.Exception | Should -BeOfType [System.Management.Automation.RemoteException] -Because 'as Start-Job gives it'
        $e.Exception.SerializedRemoteException.PSObject.TypeNames[0] | Should -Be 'Deserialized.Microsoft.PowerShell.Commands.WriteErrorException'
        $e.FullyQualifiedErrorId | Should -Be 'MyErrorId,Test-Fails'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.TargetObject | Should -Be 'the target'
        $e.InvocationInfo.ScriptLineNumber | Should -Be 3
        $e.InvocationInfo.PositionMessage | Should -Match 'Test-Fails'
        $e.ScriptStackTrace | Should -Match 'at Test-Fails'
        # Receive-RJob writes it with its own position, as Receive-Job does.
        Receive-RJob $job -ErrorAction SilentlyContinue -ErrorVariable received
        $received[0].InvocationInfo.ScriptLineNumber | Should -Be 3
    }

    It 'send warnings, verbose, debug, information, Write-Host (with its colours) and progress' {
        $job = Start-RJob {
            Write-Warning 'a warning'
            Write-Verbose 'verbose text' -Verbose
            Write-Debug 'debug text' -Debug
            Write-Information 'information text' -Tags one, two
            Write-Host 'host text' -ForegroundColor Red
            Write-Progress -Activity 'the activity' -Status 'the status' -PercentComplete 40
        }
        $null = Wait-RJob $job -Timeout 120
        $child = $job.ChildJobs[0]
        $child.Warning.Message | Should -Be 'a warning'
        $child.Verbose.Message | Should -Be 'verbose text'
        $child.Debug.Message | Should -Be 'debug text'
        $info = @($child.Information)
        $info[0].MessageData | Should -Be 'information text'
        $info[0].Tags | Should -Be @('one', 'two')
        $info[1].Tags | Should -Contain 'PSHOST'
        $info[1].MessageData | Should -BeOfType [System.Management.Automation.HostInformationMessage]
        $info[1].MessageData.Message | Should -Be 'host text'
        $info[1].MessageData.ForegroundColor | Should -Be 'Red'
        $progress = @($child.Progress)[0]
        $progress | Should -BeOfType [System.Management.Automation.ProgressRecord]
        $progress.Activity | Should -Be 'the activity'
        $progress.StatusDescription | Should -Be 'the status'
        $progress.PercentComplete | Should -Be 40
    }

    It 'Receive-RJob writes each stream to the matching stream of the caller' {
        $job = Start-RJob { 'out'; Write-Warning 'w'; Write-Information 'i'; Write-Error 'e' } | Wait-RJob -Timeout 120
        $out = Receive-RJob $job -WarningVariable w -InformationVariable i -ErrorVariable e -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        $out | Should -Be 'out'
        "$w" | Should -Be 'w'
        "$i" | Should -Be 'i'
        "$e" | Should -Be 'e'
    }

    It 'keep the order of items across streams (Receive-RJob -Wait writes them as they came)' {
        $job = Start-RJob { 1..5 | ForEach-Object { $_; Write-Error "e$_" } }
        $items = Receive-RJob $job -Wait 2>&1 | ForEach-Object { "$_" }
        $items | Should -Be @('1', 'e1', '2', 'e2', '3', 'e3', '4', 'e4', '5', 'e5')
    }

    It 'a terminating error fails the job; its message is the reason and Receive-RJob writes it whole' {
        $job = Start-RJob { 'before'; throw 'it broke' }
        $null = Wait-RJob $job -Timeout 120
        $job.State | Should -Be 'Failed'
        $job.JobStateInfo.Reason.Message | Should -Be 'it broke'
        $out = Receive-RJob $job -ErrorAction SilentlyContinue -ErrorVariable e
        $out | Should -Be 'before'
        $e.Count | Should -Be 1
        $e[0].Exception.Message | Should -Be 'it broke'
        $e[0].InvocationInfo.PositionMessage | Should -Match 'throw'
    }

    It 'text a script writes to stdout is plain output, never a record: a line that looks like one, [Console]::Write without a newline' {
        $fake = 'T' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S>forged</S></Objs>'))
        $job = Start-RJob {
            'a real object'
            [Console]::WriteLine($using:fake)
            [Console]::Write('no newline')
        }
        $out = @($job | Wait-RJob -Timeout 120 | Receive-RJob)
        $out | Should -Contain 'a real object'
        @($out | Where-Object { $_ -ne 'a real object' }) | Should -Be @($fake, 'no newline')
        $job.State | Should -Be 'Completed' -Because 'text that looks like a terminating-error record is just text'
    }

    It 'keep Deserialized. type names, enums included, as Start-Job does' {
        $out = Start-RJob { [System.IO.FileMode]::Open; Get-Item / } | Wait-RJob -Timeout 120 | Receive-RJob
        $out[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.System.IO.FileMode'
        $out[1].PSObject.TypeNames[0] | Should -Be 'Deserialized.System.IO.DirectoryInfo'
    }

    It 'bring back an object of 10 MB whole' {
        $out = Start-RJob { 'é' * (5 * 1024 * 1024) } | Wait-RJob -Timeout 120 | Receive-RJob
        $out.Length | Should -Be (5 * 1024 * 1024)
        $out | Should -Be ('é' * (5 * 1024 * 1024))
    }

    It 'can start jobs of their own, with the caller''s RJob, by plain or module-qualified name' {
        $job = Start-RJob {
            [pscustomobject]@{
                Inner  = Start-RJob { 40 + 2 } | Receive-RJob -Wait -AutoRemoveJob
                Option = (RJob\Get-RJobOption).GetType().Name
                Base   = (Get-Module RJob).ModuleBase
            }
        }
        $out = $job | Wait-RJob -Timeout 180 | Receive-RJob
        $out.Inner | Should -Be 42
        $out.Option | Should -Not -BeNullOrEmpty
        $out.Base | Should -Be (Get-Module RJob).ModuleBase
    }

    It 'import RJob when the script first uses it, when started cold: a job that starts no jobs does not pay for it' {
        $size = (Get-RJobOption).PoolSize
        Set-RJobOption -PoolSize 0
        try {
            $out = Start-RJob { @(Get-Module RJob).Count; $null = Get-RJob; @(Get-Module RJob).Count } | Wait-RJob -Timeout 120 | Receive-RJob
        }
        finally { Set-RJobOption -PoolSize $size }
        $out | Should -Be @(0, 1)
    }

    It 'start in the caller''s location, whatever characters its path holds' {
        $base = Join-Path ([IO.Path]::GetTempPath()) "rjob-loc-$(New-Token)"
        Push-Location
        try {
            # a1 beside a[1]: read as a wildcard, a[1] would name a1.
            foreach ($leaf in 'a1', 'a[1]', 'b`c', 'd*e', "f'g", 'h j') {
                $dir = [IO.Directory]::CreateDirectory([IO.Path]::Combine($base, $leaf)).FullName
                Set-Location -LiteralPath $dir
                Start-RJob { (Get-Location).Path; [Environment]::CurrentDirectory } | Wait-RJob -Timeout 120 | Receive-RJob | Should -Be @($dir, $dir)
            }
        }
        finally {
            Pop-Location
            Remove-Item -LiteralPath $base -Recurse -Force
        }
    }
}

Describe 'Native jobs' {
    AfterEach { Remove-AllRJob }

    It 'join a line longer than the engine''s piece as bytes, so a character cut between pieces stays whole' {
        # 5 MiB of 'é' (2 bytes each) in one line: the engine hands it on in pieces of 4 MiB.
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'head -c 5242880 /dev/zero | tr "\0" "x" | sed "s/x/é/g"; echo; echo next'
        $out = @($job | Wait-RJob -Timeout 120 | Receive-RJob)
        $out.Count | Should -Be 2
        $out[0].Length | Should -Be 5242880
        $out[0] | Should -Be ('é' * 5242880)
        $out[1] | Should -Be 'next'
    }

    It 'feed pipeline input to stdin, one line per object' {
        $job = 'zeta', 'alpha', 'mu' | Start-RJob -FilePath sort
        $job | Wait-RJob -Timeout 60 | Receive-RJob | Should -Be @('alpha', 'mu', 'zeta')
    }

    It 'decode output once, with -Encoding when it is not UTF-8' {
        $utf8 = Start-RJob -FilePath printf -ArgumentList '\303\251t\303\251\n'
        $utf8 | Wait-RJob -Timeout 60 | Receive-RJob | Should -Be 'été'
        $latin1 = Start-RJob -FilePath printf -ArgumentList '\351t\351\n' -Encoding latin1
        $latin1 | Wait-RJob -Timeout 60 | Receive-RJob | Should -Be 'été'
    }
}
