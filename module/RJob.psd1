# RJob's manifest: what the module is, what it needs, and exactly what it exports (no wildcards).
@{
    RootModule           = 'bin/RJob.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0c3f0e-6c1b-4f4e-9a51-7d3b2a9e8c41'
    Author               = 'RJob developers'
    CompanyName          = 'RJob developers'
    Copyright            = '(c) 2026 RJob developers. MIT License.'
    Description          = 'Background jobs for PowerShell 7 on Linux, on a native engine: fast to start, whole process trees stopped with a grace period, bounded output. RJob jobs are PowerShell jobs: Get-Job, Wait-Job, Receive-Job, Stop-Job and Remove-Job work on them.'
    # The assembly targets .NET 10, which pwsh runs from 7.6 on.
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    # The native engine ships for linux-x64 only.
    ProcessorArchitecture = 'Amd64'
    FormatsToProcess     = @('RJob.Format.ps1xml')
    CmdletsToExport      = @('Start-RJob', 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob', 'Set-RJobOption', 'Get-RJobOption', 'Install-RJobRemote')
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Job', 'Jobs', 'Background', 'Process', 'Linux', 'PSEdition_Core')
            ProjectUri = 'https://github.com/rjob/rjob'
            LicenseUri = 'https://github.com/rjob/rjob/blob/main/LICENSE'
        }
    }
}
