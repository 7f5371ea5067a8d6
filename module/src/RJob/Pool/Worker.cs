// One pool worker: an engine job running the job host in pooled mode (a supervisor and a child
// pwsh that booted, primed itself and waits for its job on stdin). It is not in the module's job
// table, so Get-RJob and Get-Job never see it; it becomes a job only when a script job takes it.
// It is used once: a worker that ran a job, or was let go, is never handed another.
using System;
using System.IO;
using System.Management.Automation;
using RJob.Interop;

namespace RJob.Pool
{
    internal sealed class Worker
    {
        internal Worker(ulong engineId, int pid, EnvironmentSnapshot snapshot, string? module)
        {
            EngineId = engineId;
            Pid = pid;
            Snapshot = snapshot;
            Module = module;
        }

        internal ulong EngineId { get; }
        internal int Pid { get; }
        internal EnvironmentSnapshot Snapshot { get; }
        /// <summary>RJob's manifest its job's runspace imported ahead of time (or none).</summary>
        internal string? Module { get; }

        /// <summary>It said it is ready (its ready line was read and dropped).</summary>
        internal bool Primed { get; private set; }

        /// <summary>Starts a worker for jobs whose caller has this environment and directory.</summary>
        internal static Worker Start(System.Collections.Generic.IDictionary<string, string> env, string cwd, string? module)
        {
            var spec = new StartSpec
            {
                Argv = Jobs.ScriptLaunch.PooledArgv(module),
                Name = "RJob pool worker",
                Command = "RJob pool worker",
                Kind = Jobs.LaunchPlan.ScriptKind,
                Cwd = cwd,
                Env = env,
                Records = true,
                StdinPipe = true,
            };
            ulong id = Engine.Start(spec);
            int pid = Engine.Status(id)?.Pid ?? 0;
            return new Worker(id, pid, EnvironmentSnapshot.Of(env), module);
        }

        /// <summary>Reads its ready line if it came. Whatever it wrote before its job is not the
        /// job's output: it is read and dropped here.</summary>
        internal bool CheckPrimed()
        {
            if (Primed) return true;
            try
            {
                if (Engine.Status(EngineId) is not { HasMoreData: true }) return false;
                var batch = Engine.Receive(EngineId, false, 0, 0);
                foreach (var r in batch.Records)
                {
                    var ready = Host.JobHost.ReadyLine.AsSpan(0, Host.JobHost.ReadyLine.Length - 1);
                    if (r.Stream == 2 && r.Data.AsSpan().SequenceEqual(ready)) Primed = true;
                }
            }
            catch (RJobException) { }
            return Primed;
        }

        /// <summary>Its process still runs and its job has not ended. The engine hears of a death a
        /// moment late; /proc knows at once (a killed process is gone, or a zombie, there).</summary>
        internal bool IsAlive()
        {
            try
            {
                if (Engine.Status(EngineId) is not { State: JobState.Running, ExitCode: null, Signal: null }) return false;
            }
            catch (RJobException) { return false; }
            try
            {
                string stat = File.ReadAllText($"/proc/{Pid}/stat");
                int close = stat.LastIndexOf(')');
                return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }

        /// <summary>Hands it its job: the payload, then end of input.</summary>
        internal void Send(byte[] payload) => Engine.Input(EngineId, payload, close: true);

        /// <summary>Ends an idle worker and forgets it in the engine once it has ended (in the
        /// background: a stop waits for the tree).</summary>
        internal void Retire()
        {
            System.Threading.ThreadPool.QueueUserWorkItem(_ =>
            {
                try
                {
                    Engine.Stop(new[] { EngineId }, force: true);
                    Engine.Wait(new[] { EngineId }, any: false, 30_000);
                    Engine.Remove(EngineId);
                }
                catch (RJobException) { }
            });
        }
    }
}
