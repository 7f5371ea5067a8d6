# Dot-sourced by tests that need a real interactive pwsh (a terminal, a person's prompts): starts
# one in a tmux session, with RJob imported, and gives the functions that drive it.

# Starts pwsh in tmux session $Session and waits for its prompt, then imports the module under test.
function Start-TmuxPwsh([string] $Session) {
    $script:TmuxSession = $Session
    $pwsh = $env:RJOB_TEST_PWSH
    if (-not $pwsh) { $pwsh = Join-Path $RepoRoot '.tools/pwsh/pwsh' }
    & tmux kill-session -t $Session 2>$null
    & tmux new-session -d -s $Session -x 200 -y 50 $pwsh -NoProfile -NoLogo
    if ($LASTEXITCODE) { throw 'tmux could not start pwsh' }
    Wait-Until { (Get-Screen) -match '(?m)^PS .*>' } -TimeoutSeconds 30 -Because 'the pwsh prompt'
    $null = Invoke-Interactive "Import-Module '$RJobManifest'; 'ok'" -TimeoutSeconds 60
}

function Stop-TmuxPwsh { & tmux kill-session -t $script:TmuxSession 2>$null }

function Get-Screen { (& tmux capture-pane -p -J -S -200 -t $script:TmuxSession) -join "`n" }

function Send-Line([string] $Text) {
    & tmux send-keys -t $script:TmuxSession -l $Text
    & tmux send-keys -t $script:TmuxSession Enter
}

# Runs a command and returns what it printed after "OUT<marker>=" (its value as one line).
function Invoke-Interactive([string] $Command, [double] $TimeoutSeconds = 30) {
    $marker = New-Token
    Send-Line "'OUT' + '$marker=' + `$($Command)"
    Wait-Until { (Get-Screen) -match "OUT$marker=(.*)" } -TimeoutSeconds $TimeoutSeconds -Because "'$Command' to finish"
    [regex]::Match((Get-Screen), "OUT$marker=(.*)").Groups[1].Value.Trim()
}
