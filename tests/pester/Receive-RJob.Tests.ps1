BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

Describe 'Receive-RJob' {
    AfterEach { Remove-AllRJob }

    It 'consumes output unless -Keep' {
        $job = Start-RJob { 1, 2, 3 } | Wait-RJob
        Receive-RJob $job -Keep | Should -Be @(1, 2, 3)
        $job.HasMoreData | Should -BeTrue
        Receive-RJob $job | Should -Be @(1, 2, 3)
        $job.HasMoreData | Should -BeFalse
        Receive-RJob $job | Should -BeNullOrEmpty
    }

    It '-Wait streams output while the job runs, then ends with the job' {
        $job = Start-RJob -FilePath sh -ArgumentList '-c', 'for i in 1 2 3; do echo $i; sleep 0.2; done'
        $seen = [System.Collections.Generic.List[object]]::new()
        Receive-RJob $job -Wait | ForEach-Object { $seen.Add(@($_, [string]$job.State)) }
        $seen.Count | Should -Be 3
        $seen[0][1] | Should -Be 'Running' # the first line arrived while the job still ran
        $job.State | Should -Be 'Completed'
    }

    It 'keeps a last line that has no newline' {
        $job = Start-RJob -FilePath printf -ArgumentList 'a\nb' | Wait-RJob
        Receive-RJob $job | Should -Be @('a', 'b')
    }

    It '-AutoRemoveJob removes the job after -Wait' {
        $job = Start-RJob { 'bye' }
        Receive-RJob $job -Wait -AutoRemoveJob | Should -Be 'bye'
        Get-RJob -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Receive-RJob $job -AutoRemoveJob } | Should -Throw -ErrorId 'AutoRemoveCannotBeUsedWithoutWait,RJob.Commands.ReceiveRJobCommand'
    }

    It 'brings back many lines complete and in order' {
        $job = Start-RJob -FilePath seq -ArgumentList 1, 100000 | Wait-RJob
        $lines = Receive-RJob $job
        $lines.Count | Should -Be 100000
        $lines[0] | Should -Be '1'
        $lines[-1] | Should -Be '100000'
    }

    It '-Wait brings back a long running output whole and in order, what the streams held first' {
        # The first 1,000 lines wait in the job's streams (the monitor tops them up); the rest
        # come while Receive-RJob -Wait reads the engine directly: all of them, in order. The job
        # writes the rest only once the test has seen the first lines and created the go file.
        $go = Join-Path ([IO.Path]::GetTempPath()) "rjob-receive-go-$(New-Token)"
        $script = 'seq 1 1000; n=0; while [ ! -e "$1" ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done; seq 1001 200000; sleep 0.3; seq 200001 200010'
        $job = Start-RJob -FilePath sh -ArgumentList '-c', $script, 'sh', $go
        try {
            Wait-Until { $job.ChildJobs[0].Output.Count -eq 1000 } -Because 'the first lines reached the streams'
            $null = New-Item -ItemType File -Path $go
            $lines = [string[]]@(Receive-RJob $job -Wait)
        }
        finally { Remove-Item -LiteralPath $go -ErrorAction Ignore }
        $job.State | Should -Be 'Completed'
        $lines.Count | Should -Be 200010
        [string]::Join(',', $lines) | Should -Be ([string]::Join(',', [string[]](1..200010)))
    }

    It 'rejects wrong types and empty names as parameter errors' {
        { Receive-RJob -Job 42 } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.ReceiveRJobCommand'
        { Receive-RJob -Name $null } | Should -Throw -ErrorId 'ParameterArgumentValidationError,RJob.Commands.ReceiveRJobCommand'
        { Receive-RJob -InstanceId 'not-a-guid' } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,RJob.Commands.ReceiveRJobCommand'
    }

    It 'writes not-found errors for unknown ids' {
        Receive-RJob -Id 987654 -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -Be 'JobWithSpecifiedSessionNotFound,RJob.Commands.ReceiveRJobCommand'
    }
}

Describe 'A job''s stream collections under concurrent readers and writers' {
    BeforeAll {
        # Drives the module's StreamBuffers (internal) through reflection: one thread adds, the
        # caller takes everything again and again, as the monitor's pump and Receive-RJob -Wait do.
        $rjob = [RJob.RJobChildJob].Assembly
        Add-Type -ReferencedAssemblies $rjob.Location, ([psobject].Assembly.Location), System.Threading.Thread, System.Threading -TypeDefinition @'
using System;
using System.Collections;
using System.Management.Automation;
using System.Reflection;
using System.Threading;
public sealed class StreamStressJob : Job
{
    public StreamStressJob() : base("stress") { }
    public override string StatusMessage => "";
    public override bool HasMoreData => false;
    public override string Location => "";
    public override void StopJob() { }
}
public static class StreamStress
{
    // Adds n items from another thread, alternately to Output and Error, while taking them all
    // here; returns how many were taken, whether they came out in the order they were added, and
    // whether the collections are empty at the end.
    public static object[] Run(Assembly rjob, int n)
    {
        var type = rjob.GetType("RJob.Jobs.StreamBuffers", true);
        var kindType = rjob.GetType("RJob.Records.StreamKind", true);
        var flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var buffers = Activator.CreateInstance(type, flags, null, new object[] { new StreamStressJob() }, null);
        var add = type.GetMethod("Add", flags);
        var takeAll = type.GetMethod("TakeAll", flags);
        var isEmpty = type.GetProperty("IsEmpty", flags);
        var output = Enum.Parse(kindType, "Output");
        var error = Enum.Parse(kindType, "Error");
        var into = Activator.CreateInstance(takeAll.GetParameters()[0].ParameterType);
        var adder = new Thread(() =>
        {
            for (int i = 0; i < n; i++)
            {
                object item = i % 2 == 0 ? PSObject.AsPSObject(i) : new ErrorRecord(new Exception("e"), "e", ErrorCategory.NotSpecified, i);
                add.Invoke(buffers, new object[] { i % 2 == 0 ? output : error, item, 8 });
            }
        });
        adder.Start();
        int taken = 0, last = -1;
        bool ordered = true;
        void Take()
        {
            takeAll.Invoke(buffers, new[] { into });
            foreach (var entry in (IEnumerable)into)
            {
                var value = entry.GetType().GetField("Item2").GetValue(entry);
                int i = value is ErrorRecord e ? (int)e.TargetObject : (int)((PSObject)value).BaseObject;
                ordered &= i == last + 1;
                last = i;
                taken++;
            }
            ((IList)into).Clear();
        }
        while (adder.IsAlive) Take();
        Take();
        return new object[] { taken, ordered, (bool)isEmpty.GetValue(buffers) };
    }
}
'@
    }

    It 'every item added while a reader takes them all comes out once, in the order added, and the collections end empty' {
        $taken, $ordered, $empty = [StreamStress]::Run([RJob.RJobChildJob].Assembly, 200000)
        $taken | Should -Be 200000
        $ordered | Should -BeTrue -Because 'items of two streams come out in the order they were added'
        $empty | Should -BeTrue
    }

    It 'Receive-RJob -Wait ends, with an item put into a stream directly, not through the job' {
        $job = Start-RJob -FilePath /bin/echo -ArgumentList 'from the job'
        $null = $job | Wait-RJob -Timeout 60
        $job.ChildJobs[0].Output.Add([psobject]'put there')
        # In a runspace of its own, so that a reader that never ends fails this test, not the run.
        $ps = [powershell]::Create().AddScript({ param($m, $j) Import-Module $m; $j | Receive-RJob -Wait }).AddArgument($RJobManifest).AddArgument($job)
        try {
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'Receive-RJob -Wait must end once the job and its streams are done'
            $ps.EndInvoke($async) | Should -Be @('from the job', 'put there')
        }
        finally {
            $ps.Stop()
            $ps.Dispose()
            $job | Remove-RJob -Force
        }
    }
}
