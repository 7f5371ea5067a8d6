function Start-RJob {
    <#
    .SYNOPSIS
    Starts a background job: a script block in a child pwsh, or an executable run directly.

    .DESCRIPTION
    Start-RJob starts a job and returns its job object at once. The job runs under a small
    supervisor process that owns its whole process tree, so Stop-RJob can end everything the job
    started, and nothing outlives the session that started it.

    With -ScriptBlock, the script runs in a new pwsh (the same pwsh as this session) with the
    values of -ArgumentList as its arguments; its output comes back deserialized, as with
    Receive-Job. With -FilePath, the executable runs directly with -ArgumentList as its argv: no
    shell is involved, so quotes, spaces, newlines and $(...) in arguments arrive literally. Its
    stdout lines are output and its stderr lines errors; a non-zero exit code makes the job Failed.

    The job starts in the current file-system location (or -WorkingDirectory) with the current
    environment variables, including ones set with $env: in this session.

    .PARAMETER ScriptBlock
    The commands to run in the job.

    .PARAMETER FilePath
    The executable to run: a path, or a command name found on PATH.

    .PARAMETER ArgumentList
    Arguments for the script block's parameters, or the executable's arguments.

    .PARAMETER Name
    A name for the job, for -Name on the other RJob cmdlets.

    .PARAMETER WorkingDirectory
    The directory the job starts in. Defaults to the current file-system location.

    .PARAMETER GraceSeconds
    How long a graceful Stop-RJob waits after SIGTERM before it kills what is left. Default 5.

    .EXAMPLE
    $job = Start-RJob -ScriptBlock { Get-ChildItem -Recurse /etc | Measure-Object }
    Wait-RJob $job | Receive-RJob

    Runs a script block in the background and collects its result.

    .EXAMPLE
    Start-RJob -FilePath ping -ArgumentList '-c', '3', '127.0.0.1' -Name pinger
    Receive-RJob -Name pinger -Wait

    Runs an executable directly and streams its output until it ends.

    .EXAMPLE
    Start-RJob { param($n) 1..$n | ForEach-Object { $_ * $_ } } -ArgumentList 5

    Passes an argument to the script block.

    .INPUTS
    None.

    .OUTPUTS
    RJob.RJobJob

    .LINK
    Get-RJob

    .LINK
    Stop-RJob
    #>
    [CmdletBinding(DefaultParameterSetName = 'ScriptBlock')]
    [OutputType([RJob.RJobJob])]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'ScriptBlock')]
        [scriptblock] $ScriptBlock,

        [Parameter(Mandatory, ParameterSetName = 'FilePath')]
        [ValidateNotNullOrEmpty()]
        [string] $FilePath,

        [Alias('Args')]
        [object[]] $ArgumentList = @(),

        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [ValidateNotNullOrEmpty()]
        [string] $WorkingDirectory,

        [ValidateRange('NonNegative')] # the default and the upper limit are the engine's
        [double] $GraceSeconds
    )

    $cwd = if ($PSBoundParameters.ContainsKey('WorkingDirectory')) {
        $resolved = Resolve-Path -LiteralPath $WorkingDirectory -ErrorAction Ignore
        if (-not $resolved -or $resolved.Provider.Name -ne 'FileSystem' -or -not (Test-Path -LiteralPath $resolved.ProviderPath -PathType Container)) {
            $PSCmdlet.WriteError((New-RJobErrorRecord -ErrorId DirectoryNotFoundException -Category InvalidOperation `
                        -TargetObject $WorkingDirectory -ExceptionType ([System.IO.DirectoryNotFoundException]) `
                        -Message "Cannot find the WorkingDirectory path $WorkingDirectory."))
            return
        }
        $resolved.ProviderPath
    }
    else {
        (Get-Location -PSProvider FileSystem).ProviderPath
    }

    if ($PSCmdlet.ParameterSetName -eq 'FilePath') {
        # A path is taken relative to the current location (and ~ is expanded); a name is found on PATH.
        $target = if ($FilePath -match '^~|/') { $PSCmdlet.GetUnresolvedProviderPathFromPSPath($FilePath) } else { $FilePath }
        $exe = [RJob.Executable]::Find($target, $env:PATH, $cwd)
        if (-not $exe) {
            $PSCmdlet.WriteError((New-RJobErrorRecord -ErrorId CommandNotFoundException -Category ObjectNotFound `
                        -TargetObject $FilePath -ExceptionType ([System.Management.Automation.CommandNotFoundException]) `
                        -Message "The term '$FilePath' is not recognized as a name of an executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."))
            return
        }
        $argv = [string[]](@($exe) + @($ArgumentList | ForEach-Object { [string]$_ }))
        $kind, $stdin = 'Native', $null
        $command = (@($FilePath) + @($ArgumentList | ForEach-Object { [string]$_ })) -join ' '
    }
    else {
        $launch = New-RJobScriptLaunch -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList
        $argv, $stdin, $kind = $launch.Argv, $launch.Stdin, 'Script'
        $command = $ScriptBlock.ToString().Trim()
    }

    $grace = if ($PSBoundParameters.ContainsKey('GraceSeconds')) { $GraceSeconds } else { $null }
    try {
        [RJob.RJobJob]::Start($argv, $Name, $command, $kind, $cwd, [Environment]::GetEnvironmentVariables(), $stdin, $grace)
    }
    catch {
        $PSCmdlet.WriteError((ConvertFrom-RJobException $_.Exception -TargetObject $command))
    }
}
