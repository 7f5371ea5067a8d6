BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Start-RJob' {
    AfterEach { Remove-AllRJob }

    It 'returns a running job object with a name, an instance id and a command' {
        $job = Start-RJob -Name starter { Start-Sleep 30 }
        $job | Should -BeOfType [RJob.RJobJob]
        $job.Name | Should -Be 'starter'
        $job.State | Should -Be 'Running'
        $job.InstanceId | Should -Not -Be ([guid]::Empty)
        $job.Command | Should -Be ' Start-Sleep 30 ' -Because 'the script text is kept as written, as Start-Job keeps it'
        $job.PSJobTypeName | Should -Be 'RJob.Script'
        $job.Location | Should -Be 'localhost'
    }

    It 'resolves -FilePath on PATH and passes arguments literally, with no shell' {
        $tricky = 'a b', "'q'", '"dq"', '$(echo pwned)', '`id`', 'x;y', "new`nline", '*'
        $job = Start-RJob -FilePath printf -ArgumentList (@('[%s]\n') + $tricky)
        $out = Wait-RJob $job | Receive-RJob
        # printf prints each argument bracketed; the one holding a newline spans two lines.
        $out | Should -Be ((($tricky | ForEach-Object { "[$_]" }) -join "`n") -split "`n")
    }

    It 'runs a script block whose text holds quotes and $(...) as written' {
        $job = Start-RJob { 'it''s "quoted" $(not expanded in single quotes)' }
        Wait-RJob $job | Receive-RJob | Should -Be 'it''s "quoted" $(not expanded in single quotes)'
    }

    It 'runs a relative -FilePath from the current location, and refuses a file that is not executable' {
        Set-Content -LiteralPath TestDrive:/hello.sh -Value "#!/bin/sh`necho hello from `$0"
        Push-Location TestDrive:/
        try {
            Start-RJob -FilePath ./hello.sh -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'CommandNotFoundException,RJob.Commands.StartRJobCommand'
            chmod +x ./hello.sh
            $job = Start-RJob -FilePath ./hello.sh
        }
        finally { Pop-Location }
        Wait-RJob $job | Receive-RJob | Should -Be "hello from $((Get-Item TestDrive:/hello.sh).FullName)"
    }

    It 'refuses a folder, even with execute bits and on PATH, and runs a program through a symlink' {
        $dir = (New-Item -ItemType Directory TestDrive:/bin).FullName
        $null = New-Item -ItemType Directory (Join-Path $dir 'folder-prog')
        chmod 755 (Join-Path $dir 'folder-prog')
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $dir 'linked-true') -Target /bin/true
        $path = $env:PATH
        try {
            $env:PATH = "${dir}:$path"
            foreach ($name in 'folder-prog', (Join-Path $dir 'folder-prog')) {
                Start-RJob -FilePath $name -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
                $err[0].FullyQualifiedErrorId | Should -Be 'CommandNotFoundException,RJob.Commands.StartRJobCommand'
            }
            (Start-RJob -FilePath linked-true | Wait-RJob).State | Should -Be 'Completed'
        }
        finally { $env:PATH = $path }
    }

    It 'honours -WorkingDirectory' {
        $job = Start-RJob -FilePath pwd -WorkingDirectory /usr
        Wait-RJob $job | Receive-RJob | Should -Be '/usr'
    }

    It 'starts where the caller is, after each Set-Location and after a drive is redefined with another root' {
        $base = Join-Path ([IO.Path]::GetTempPath()) "rjob-cwd-$(New-Token)"
        $one = (New-Item -ItemType Directory (Join-Path $base one)).FullName
        $two = (New-Item -ItemType Directory (Join-Path $base two)).FullName
        $drive = "RJobCwd$(New-Token)"
        Push-Location
        try {
            foreach ($dir in $one, $two, $one) {
                Set-Location -LiteralPath $dir
                Start-RJob -FilePath pwd | Wait-RJob | Receive-RJob | Should -Be $dir
            }
            # The same PowerShell path, a different folder: the drive now has another root.
            foreach ($root in $one, $two) {
                $null = New-PSDrive -Name $drive -PSProvider FileSystem -Root $root
                Set-Location "${drive}:/"
                Start-RJob -FilePath pwd | Wait-RJob | Receive-RJob | Should -Be $root
                Set-Location -LiteralPath $base
                Remove-PSDrive -Name $drive
            }
        }
        finally {
            Pop-Location
            Remove-PSDrive -Name $drive -ErrorAction Ignore
            Remove-Item -LiteralPath $base -Recurse -Force
        }
    }

    It 'gives a CommandNotFoundException for a missing executable' {
        $r = Start-RJob -FilePath no-such-program-xyz -ErrorAction SilentlyContinue -ErrorVariable err
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'CommandNotFoundException,RJob.Commands.StartRJobCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-RJob | Should -BeNullOrEmpty
    }

    It 'gives a terminating DirectoryNotFoundException for a missing working directory, as Start-Job does' {
        $err = { Start-RJob { 1 } -WorkingDirectory /no/such/dir } | Should -Throw -ErrorId 'DirectoryNotFoundException,RJob.Commands.StartRJobCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err.Exception | Should -BeOfType [System.IO.DirectoryNotFoundException]
        Get-RJob | Should -BeNullOrEmpty
    }

    It 'rejects an empty name, like a parameter validation' {
        { Start-RJob -Name '' { 1 } } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StartRJobCommand'
        { Start-RJob -Name $null { 1 } } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StartRJobCommand'
    }

    It 'rejects a negative grace period' {
        { Start-RJob { 1 } -GraceSeconds -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.StartRJobCommand'
    }
}
