# The typed engine API the module is built on (module/src/RJob/Interop/Engine.cs), called directly.

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $script:E = [RJob.Interop.Engine]
    function Start-Raw([string] $Script) {
        $spec = [RJob.Interop.StartSpec]::new()
        $spec.Argv = [string[]]@('/bin/sh', '-c', $Script)
        $spec.Kind = 'Native'
        $E::Start($spec)
    }
}

Describe 'RJob.Interop.Engine' {
    AfterEach { Remove-AllRJob }

    It 'reads a record bigger than its buffer whole, growing the buffer once, and consumes nothing on the way' {
        $id = Start-Raw "head -c 100000 /dev/zero | tr '\0' z; echo; printf '\377end\n'"
        $E::Wait([uint64[]]@($id), $false, 10000) | Should -BeTrue
        # maxBytes 1024 cannot hold the first record: it still comes whole, alone.
        $a = $E::Receive($id, $true, 0, 0, 1024)
        $a.Records.Count | Should -Be 1
        $a.Records[0].Data.Length | Should -Be 100000
        $a.Records[0].Stream | Should -Be 0
        $b = $E::Receive($id, $true, $a.Next, 0, 1024)
        # Raw bytes: the invalid UTF-8 byte is there as written.
        [byte[]]$b.Records[0].Data | Should -Be ([byte[]](0xFF, 0x65, 0x6E, 0x64))
        $b.Done | Should -BeTrue
        ($E::Status($id)).HasMoreData | Should -BeTrue -Because 'keep reads consume nothing'
        $all = $E::Receive($id, $false, 0, 0, 1 -shl 20)
        $all.Records.Count | Should -Be 2
        ($E::Status($id)).HasMoreData | Should -BeFalse
    }

    It 'sends each spec whole as UTF-8, a large one and then a small one after it' {
        # The spec buffer is reused between starts; one grown by a large stdin is not kept.
        $big = [RJob.Interop.StartSpec]::new()
        $big.Argv = [string[]]@('/bin/sh', '-c', 'wc -c; cat /dev/null')
        $big.Stdin = [Text.Encoding]::UTF8.GetBytes(('ä' * 100000) + "`n")
        $small = [RJob.Interop.StartSpec]::new()
        $small.Argv = [string[]]@('/bin/echo', 'ünï')
        $ids = [uint64[]]@($E::Start($big), $E::Start($small), $E::Start($small))
        $E::Wait($ids, $false, 10000) | Should -BeTrue
        $text = { param($id) [Text.Encoding]::UTF8.GetString(@($E::Receive($id, $false, 0, 0, 1 -shl 20).Records)[0].Data) }
        & $text $ids[0] | Should -Be '200001'
        & $text $ids[1] | Should -Be 'ünï'
        & $text $ids[2] | Should -Be 'ünï'
    }

    It 'gives typed status, the failure reason and the change feed' {
        $after = $E::Changes(0, 0, [System.Collections.Generic.List[System.ValueTuple[uint64, System.Management.Automation.JobState]]]::new())
        $id = Start-Raw 'exit 3'
        $E::Wait([uint64[]]@($id), $false, 10000) | Should -BeTrue
        $st = $E::Status($id)
        $st.State | Should -Be 'Failed'
        $st.ExitCode | Should -Be 3
        $st.EndTimeMs | Should -BeGreaterThan 0
        $E::Reason($id) | Should -Be 'exit code 3'
        $seen = [System.Collections.Generic.List[System.ValueTuple[uint64, System.Management.Automation.JobState]]]::new()
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while (-not ($seen | Where-Object { $_.Item1 -eq $id -and $_.Item2 -eq 'Failed' }) -and [datetime]::UtcNow -lt $deadline) {
            $after = $E::Changes($after, 500, $seen)
        }
        $seen | Where-Object { $_.Item1 -eq $id -and $_.Item2 -eq 'Failed' } | Should -Not -BeNullOrEmpty
        $E::Remove($id)
        $E::Status($id) | Should -BeNullOrEmpty
        $E::Reason($id) | Should -BeNullOrEmpty
    }

    It 'raises RJobException with the status and the engine''s message' {
        $spec = [RJob.Interop.StartSpec]::new()
        $spec.Argv = [string[]]@('/no/such/program')
        $err = { $E::Start($spec) } | Should -Throw -PassThru
        $err.Exception.InnerException | Should -BeOfType ([RJob.Interop.RJobException])
        $err.Exception.InnerException.Status | Should -Be 'SpawnFailed'
        $err.Exception.InnerException.Message | Should -Match 'not found'
        $spec.Argv = [string[]]@('/bin/true')
        $spec.Stdin = [byte[]](0xFF)
        $err = { $E::Start($spec) } | Should -Throw -PassThru
        $err.Exception.InnerException.Status | Should -Be 'InvalidArgument'
    }
}
