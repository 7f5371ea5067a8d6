// Runs when Import-Module loads the assembly: RJob's engine uses Linux process APIs only.
using System;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

// The engine, and so the whole module, is Linux only (ModuleInit refuses other systems).
[assembly: SupportedOSPlatform("linux")]

namespace RJob
{
    public sealed class ModuleInit : IModuleAssemblyInitializer
    {
        public void OnImport()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                throw new PlatformNotSupportedException("RJob runs on Linux: its engine stops job process trees with Linux process APIs.");
            }
        }
    }
}
