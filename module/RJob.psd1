@{
    RootModule           = 'RJob.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0c3f0e-6c1b-4f4e-9a51-7d3b2a9e8c41'
    Author               = 'RJob developers'
    Description          = 'Background jobs for PowerShell 7 on a native engine: fast to start, whole process trees stopped, bounded output.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('RJob.Format.ps1xml')
    FunctionsToExport    = @('Start-RJob', 'Get-RJob', 'Stop-RJob', 'Wait-RJob', 'Receive-RJob', 'Remove-RJob')
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{ PSData = @{ Tags = @('Jobs', 'Background', 'Linux') } }
}
