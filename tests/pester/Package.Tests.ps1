# The module as users get it: scripts/package builds the clean folder and publishes it to a local
# PSResourceGet repository, Save-PSResource installs it, and a fresh pwsh imports the installed
# copy and runs jobs from it, also with the install folder mounted read-only. The .nupkg keeps no
# file modes, so the supervisor arrives without its execute bit: jobs must start all the same.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    $script:PackageOut = Join-Path $TestDrive 'package'
    $script:InstallRoot = Join-Path $TestDrive 'installed'
    $stderr = Join-Path $TestDrive 'package.stderr'
    $stdout = & timeout 300 bash (Join-Path $RepoRoot 'scripts/package') --out $PackageOut --install $InstallRoot 2> $stderr
    $script:PackageExit = $LASTEXITCODE
    $script:PackageLog = (@($stdout) + @(Get-Content -LiteralPath $stderr)) -join "`n"
    # Its last line is the installed module's folder.
    $script:Installed = [string]($stdout | Select-Object -Last 1)
    $script:Version = (Import-PowerShellDataFile (Join-Path $RepoRoot 'module/RJob.psd1')).ModuleVersion
    $script:Pwsh = Join-Path $PSHOME 'pwsh'

    # Runs $Script in a fresh pwsh (time-limited, marked by a token on its command line) and
    # returns its exit code and output. $Prefix wraps the command, e.g. in unshare; $Environment
    # gives the child its own HOME so that its per-user cache starts empty.
    function Invoke-FreshPwsh {
        param([Parameter(Mandatory)] [string] $Script, [string[]] $Prefix = @(), [hashtable] $Environment = @{})
        $token = New-Token
        $envArgs = foreach ($k in $Environment.Keys) { "$k=$($Environment[$k])" }
        $argv = @($Prefix) + @('env') + @($envArgs) + @('timeout', '120', $script:Pwsh, '-NoProfile', '-NonInteractive',
            '-Command', "# rjob-package-test-$token`n" + $Script)
        $output = & $argv[0] $argv[1..($argv.Count - 1)] 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object { "$_" }) }
    }

    # A fresh pwsh that imports the installed module, runs one native and one script job, and
    # prints what it saw; it exits non-zero on any error.
    function Get-JobScript([string] $Manifest, [string] $Token) {
        @"
`$ErrorActionPreference = 'Stop'
Import-Module '$Manifest'
'base=' + (Get-Module RJob).ModuleBase
`$native = Start-RJob -FilePath /bin/echo -ArgumentList 'native-$Token'
`$null = Wait-RJob -Job `$native -Timeout 60
'native-state=' + `$native.State
'native-out=' + (Receive-RJob -Job `$native)
`$script = Start-RJob -ScriptBlock { 'script-' + (6 * 7) }
`$null = Wait-RJob -Job `$script -Timeout 60
'script-state=' + `$script.State
'script-out=' + (Receive-RJob -Job `$script)
Remove-RJob -Job `$native, `$script -Force
"@
    }

    function Get-Value([object[]] $Lines, [string] $Key) {
        $line = $Lines | Where-Object { $_ -like "$Key=*" } | Select-Object -First 1
        if ($line) { $line.Substring($Key.Length + 1) }
    }
}

Describe 'scripts/package' {
    It 'publishes a .nupkg to a local repository and installs it with Save-PSResource' {
        $PackageExit | Should -Be 0 -Because $PackageLog
        Join-Path $PackageOut "RJob.$Version.nupkg" | Should -Exist
        $Installed | Should -Be (Join-Path $InstallRoot "RJob/$Version")
        Join-Path $Installed 'RJob.psd1' | Should -Exist
    }

    # The packaged layout the brief fixes.
    It 'ships <_> in the package and in the installed module' -ForEach @(
        'RJob.psd1', 'RJob.Format.ps1xml', 'LICENSE', 'bin/RJob.dll', 'bin/linux-x64/librjob.so',
        'bin/linux-x64/rjob-supervisor', 'en-US/RJob.dll-help.xml', 'en-US/about_RJob.help.txt'
    ) {
        Join-Path $PackageOut "RJob/$_" | Should -Exist
        Join-Path $Installed $_ | Should -Exist
    }

    It 'leaves sources and build output out: no src/, obj/, C# or project files' {
        $nupkg = [IO.Compression.ZipFile]::OpenRead((Join-Path $PackageOut "RJob.$Version.nupkg"))
        try { $entries = $nupkg.Entries.FullName } finally { $nupkg.Dispose() }
        $entries | Should -Contain 'bin/RJob.dll' -Because 'the listing must be of the real package'
        $shipped = @($entries) + @(Get-ChildItem -LiteralPath $Installed -Recurse -Force -ErrorAction Stop |
                ForEach-Object { [IO.Path]::GetRelativePath($Installed, $_.FullName) })
        $shipped | Where-Object { $_ -match '(^|/)(src|obj)(/|$)|\.(cs|csproj|pdb)$' } | Should -BeNullOrEmpty
    }

    It 'has a manifest that PSResourceGet and Test-ModuleManifest accept as installed' {
        $manifest = Test-ModuleManifest -Path (Join-Path $Installed 'RJob.psd1') -ErrorAction Stop
        $manifest.Version | Should -Be $Version
        $manifest.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'installs the supervisor without its execute bit (what the rest relies on)' {
        $mode = (Get-Item -LiteralPath (Join-Path $Installed 'bin/linux-x64/rjob-supervisor')).UnixFileMode
        $mode.HasFlag([IO.UnixFileMode]::UserExecute) | Should -BeFalse
    }
}

Describe 'the installed module' {
    BeforeAll {
        $script:Manifest = Join-Path $Installed 'RJob.psd1'
    }

    It 'imports in a fresh pwsh and runs a native and a script job, though the supervisor is not executable' {
        $token = New-Token
        $home_ = Join-Path $TestDrive "home-$token"
        $null = New-Item -ItemType Directory -Path $home_
        $r = Invoke-FreshPwsh -Script (Get-JobScript $Manifest $token) -Environment @{ HOME = $home_; XDG_CACHE_HOME = "$home_/.cache" }
        $because = $r.Output -join "`n"
        $r.ExitCode | Should -Be 0 -Because $because
        Get-Value $r.Output 'base' | Should -Be $Installed
        Get-Value $r.Output 'native-state' | Should -Be 'Completed' -Because $because
        Get-Value $r.Output 'native-out' | Should -Be "native-$token"
        Get-Value $r.Output 'script-state' | Should -Be 'Completed' -Because $because
        Get-Value $r.Output 'script-out' | Should -Be 'script-42'
    }

    It 'runs the supervisor from a private (0700) per-user cache when the installed one cannot be executed' {
        $token = New-Token
        $home_ = Join-Path $TestDrive "home-$token"
        $null = New-Item -ItemType Directory -Path $home_
        $r = Invoke-FreshPwsh -Script (Get-JobScript $Manifest $token) -Environment @{ HOME = $home_; XDG_CACHE_HOME = "$home_/.cache" }
        $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
        # Found by content, not by name: the copy is whatever file holds the supervisor's bytes.
        $want = (Get-FileHash -LiteralPath (Join-Path $Installed 'bin/linux-x64/rjob-supervisor')).Hash
        $copies = @(Get-ChildItem -LiteralPath $home_ -Recurse -File -Force |
                Where-Object { $_.Length -gt 0 -and (Get-FileHash -LiteralPath $_.FullName).Hash -eq $want })
        $copies | Should -HaveCount 1 -Because 'the engine copies the supervisor once into the cache'
        $copies[0].UnixFileMode.HasFlag([IO.UnixFileMode]::UserExecute) | Should -BeTrue
        $folder = Get-Item -LiteralPath $copies[0].DirectoryName
        ([int]$folder.UnixFileMode -band 0x3F) | Should -Be 0 -Because "the cache folder $($folder.FullName) is private to its user (0700)"
    }

    It 'runs jobs from a read-only install folder' {
        $token = New-Token
        $home_ = Join-Path $TestDrive "home-$token"
        $null = New-Item -ItemType Directory -Path $home_
        # The child proves the folder is read-only before it runs the jobs.
        $probe = "try { [IO.File]::WriteAllText('$Installed/probe-$token', 'x'); 'writable=yes' } catch { 'writable=no' }`n"
        if ((id -u) -eq '0') {
            # root writes through any file mode: mount the folder read-only in a private namespace.
            $prefix = 'unshare', '-m', 'sh', '-c', 'mount --bind -o ro "$1" "$1" && shift && exec "$@"', 'sh', $Installed
        }
        else {
            $null = & chmod -R a-w $Installed
            $prefix = @()
        }
        try {
            $r = Invoke-FreshPwsh -Script ($probe + (Get-JobScript $Manifest $token)) -Prefix $prefix -Environment @{ HOME = $home_; XDG_CACHE_HOME = "$home_/.cache" }
        }
        finally {
            if ((id -u) -ne '0') { $null = & chmod -R u+w $Installed }
        }
        $because = $r.Output -join "`n"
        Get-Value $r.Output 'writable' | Should -Be 'no' -Because $because
        $r.ExitCode | Should -Be 0 -Because $because
        Get-Value $r.Output 'native-out' | Should -Be "native-$token"
        Get-Value $r.Output 'script-out' | Should -Be 'script-42'
    }
}
