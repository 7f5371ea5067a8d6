# Keeps module/en-US/RJob.dll-help.xml true to the cmdlets. The prose (synopsis, descriptions,
# examples, inputs, outputs, notes, links, default values) is written by hand in that file; this
# script rewrites only what the code knows — the syntax of each parameter set and each
# parameter's type, required, position, pipeline input, wildcards and aliases — from Get-Command,
# and keeps the prose. A parameter or command without prose gets "TODO", which
# tests/pester/Help.Tests.ps1 rejects. Run it after scripts/build:
#   .tools/pwsh/pwsh -NoProfile -File scripts/Sync-Help.ps1
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../module/RJob.psd1'),
    [string] $HelpPath = (Join-Path $PSScriptRoot '../module/en-US/RJob.dll-help.xml'),
    # Where to write; by default over $HelpPath. Another path previews without touching it.
    [string] $OutPath = $HelpPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$module = Import-Module $ModulePath -Force -PassThru
. (Join-Path $PSScriptRoot '../tests/pester/HelpRules.ps1')

$ns = @{
    msh = 'http://msh'; maml = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$old = @{}
if (Test-Path -LiteralPath $HelpPath) {
    $doc = [xml]::new(); $doc.PreserveWhitespace = $false; $doc.Load((Resolve-Path -LiteralPath $HelpPath).Path)
    $mgr = [System.Xml.XmlNamespaceManager]::new($doc.NameTable)
    foreach ($k in $ns.Keys) { $mgr.AddNamespace($k, $ns[$k]) }
    foreach ($c in $doc.SelectNodes('//command:command', $mgr)) {
        $name = $c.SelectSingleNode('command:details/command:name', $mgr).InnerText.Trim()
        $params = @{}
        foreach ($p in $c.SelectNodes('command:parameters/command:parameter', $mgr)) {
            $params[$p.SelectSingleNode('maml:name', $mgr).InnerText.Trim()] = @{
                Description = $p.SelectSingleNode('maml:description', $mgr).InnerXml
                Default     = $p.SelectSingleNode('dev:defaultValue', $mgr)?.InnerText
            }
        }
        $part = { param($xpath) $n = $c.SelectSingleNode($xpath, $mgr); if ($n) { $n.OuterXml } }
        $old[$name] = @{
            Synopsis    = $c.SelectSingleNode('command:details/maml:description', $mgr).InnerXml
            Description = & $part 'maml:description'
            Inputs      = & $part 'command:inputTypes'
            Outputs     = & $part 'command:returnValues'
            Notes       = & $part 'maml:alertSet'
            Examples    = & $part 'command:examples'
            Links       = & $part 'command:relatedLinks'
            Parameters  = $params
        }
    }
}

function Esc([string] $s) { [System.Security.SecurityElement]::Escape($s) }
$todo = '<maml:para xmlns:maml="http://schemas.microsoft.com/maml/2004/10">TODO</maml:para>'

# One parameter element; $Set is a CommandParameterInfo (in a syntax item) or $null (in the
# command's parameter list, where the rules of HelpRules.ps1 merge the sets).
function Write-Parameter([System.Management.Automation.CommandInfo] $Command, [string] $Name, $Set, [hashtable] $Prose) {
    $facts = Get-ParameterFacts -Command $Command -Name $Name -ParameterSet $Set
    $desc = if ($Prose -and $Prose.Description -and $Prose.Description -notmatch '>TODO<') { $Prose.Description } else { $todo }
    $default = if ($Prose -and $Prose.Default) { $Prose.Default } else { 'None' }
    $isSwitch = $facts.Type -eq 'System.Management.Automation.SwitchParameter'
    $value = $facts.Type -replace '^.*\.', ''
    @"
<command:parameter required="$($facts.Required)" variableLength="$($facts.Type.EndsWith('[]').ToString().ToLower())" globbing="$($facts.Globbing)" pipelineInput="$($facts.PipelineInput)" position="$($facts.Position)" aliases="$(Esc $facts.Aliases)">
  <maml:name>$Name</maml:name>
  <maml:description>$desc</maml:description>
  <command:parameterValue required="$((-not $isSwitch).ToString().ToLower())" variableLength="false">$(Esc $value)</command:parameterValue>
  <dev:type><maml:name>$(Esc $facts.Type)</maml:name><maml:uri /></dev:type>
  <dev:defaultValue>$(Esc $default)</dev:defaultValue>
</command:parameter>
"@
}

$commands = Get-Command -Module $module.Name -CommandType Cmdlet, Function | Sort-Object { $HelpCommandOrder.IndexOf($_.Name) }, Name
# Prose of what the code no longer has is dropped: say so, so that nothing vanishes unnoticed.
foreach ($name in $old.Keys) {
    $cmd = $commands | Where-Object Name -EQ $name
    if (-not $cmd) { Write-Warning "dropped the help of $name, which the module does not export"; continue }
    foreach ($p in $old[$name].Parameters.Keys | Where-Object { $_ -notin $cmd.Parameters.Keys }) {
        Write-Warning "dropped the help of $name -$p, which the command does not have"
    }
}
$out = [System.Text.StringBuilder]::new()
$null = $out.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
$null = $out.AppendLine('<!-- RJob cmdlet help. Prose by hand; syntax and parameter facts kept true to the code by scripts/Sync-Help.ps1. -->')
$null = $out.AppendLine('<helpItems schema="maml" xmlns="http://msh">')
foreach ($cmd in $commands) {
    $prose = $old[$cmd.Name]
    $get = { param($key, $fallback) if ($prose -and $prose[$key]) { $prose[$key] } else { $fallback } }
    $verb, $noun = $cmd.Name -split '-', 2
    $null = $out.AppendLine(@"
<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">
<command:details>
  <command:name>$($cmd.Name)</command:name>
  <command:verb>$verb</command:verb>
  <command:noun>$noun</command:noun>
  <maml:description>$(& $get 'Synopsis' $todo)</maml:description>
</command:details>
$(& $get 'Description' "<maml:description>$todo</maml:description>")
<command:syntax>
"@)
    foreach ($set in Get-HelpParameterSets $cmd) {
        $null = $out.AppendLine("<command:syntaxItem>`n  <maml:name>$($cmd.Name)</maml:name>")
        foreach ($p in Get-HelpSetParameters $set) {
            $null = $out.AppendLine((Write-Parameter $cmd $p.Name $p ($prose ? $prose.Parameters[$p.Name] : $null)))
        }
        $null = $out.AppendLine('</command:syntaxItem>')
    }
    $null = $out.AppendLine("</command:syntax>`n<command:parameters>")
    foreach ($name in Get-HelpParameterNames $cmd) {
        $null = $out.AppendLine((Write-Parameter $cmd $name $null ($prose ? $prose.Parameters[$name] : $null)))
    }
    $null = $out.AppendLine('</command:parameters>')
    foreach ($key in 'Inputs', 'Outputs', 'Notes', 'Examples', 'Links') {
        $part = & $get $key $null
        if ($part) { $null = $out.AppendLine($part) }
    }
    $null = $out.AppendLine('</command:command>')
}
$null = $out.AppendLine('</helpItems>')

# Pretty-print, so that hand edits and diffs stay readable.
$doc = [xml]::new()
$doc.LoadXml($out.ToString())
# Prose carried over as XML text brings its namespace declarations along; the command element has them.
foreach ($el in $doc.SelectNodes('//*')) {
    if ($el.LocalName -eq 'command' -and $el.NamespaceURI -eq $ns.command) { continue }
    foreach ($prefix in 'maml', 'command', 'dev') { $el.RemoveAttribute("xmlns:$prefix") }
}
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; IndentChars = '  '; Encoding = [System.Text.UTF8Encoding]::new($false); NewLineChars = "`n" }
$null = New-Item -ItemType Directory -Force -Path (Split-Path $OutPath)
$writer = [System.Xml.XmlWriter]::Create($OutPath, $settings)
try { $doc.Save($writer) } finally { $writer.Dispose() }
[IO.File]::AppendAllText($OutPath, "`n")
"wrote $OutPath ($($commands.Count) commands)"
