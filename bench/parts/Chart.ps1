# The chart: one bar per measure that has a goal, its length how much of the goal RJob uses
# (ratio / goal ratio, or value / goal value; inverted where higher is better), against the goal
# line at 1: a bar that ends left of the line meets its goal. Hand-written SVG, no dependencies.

function Write-Chart($Rows, [string] $Path, [string] $About) {
    $enc = { param($s) [Security.SecurityElement]::Escape([string]$s) }
    $goals = @($Rows | Where-Object Goal)
    $label = 360; $plot = 420; $max = 3.0; $h = 26; $top = 54
    $x = { param($v) $label + [math]::Min($v, $max) / $max * $plot }
    $height = $top + $goals.Count * $h + 40
    $svg = [Text.StringBuilder]::new()
    $null = $svg.AppendLine("<svg xmlns='http://www.w3.org/2000/svg' width='$($label + $plot + 190)' height='$height' font-family='sans-serif' font-size='12'>")
    $null = $svg.AppendLine("<rect width='100%' height='100%' fill='white'/>")
    $null = $svg.AppendLine("<text x='10' y='20' font-size='14' font-weight='bold'>RJob against its goals (issue 7): share of the goal used, 1 = the goal line</text>")
    $null = $svg.AppendLine("<text x='10' y='38' fill='#555'>$(& $enc $About)</text>")
    foreach ($tick in 0, 0.5, 1, 1.5, 2, 2.5, 3) {
        $tx = & $x $tick
        $null = $svg.AppendLine("<line x1='$tx' y1='$($top - 4)' x2='$tx' y2='$($top + $goals.Count * $h)' stroke='#eee'/>")
        $null = $svg.AppendLine("<text x='$tx' y='$($top + $goals.Count * $h + 14)' text-anchor='middle' fill='#777'>$tick$($tick -eq 3 ? '+' : '')</text>")
    }
    $i = 0
    foreach ($r in $goals) {
        $y = $top + $i * $h
        $null = $svg.AppendLine("<text x='$($label - 8)' y='$($y + 16)' text-anchor='end'>$(& $enc $r.Measure)</text>")
        if ($null -ne $r.GoalUse) {
            $colour = $r.GoalUse -le 1 ? '#2e8b57' : '#c0392b'
            $null = $svg.AppendLine("<rect x='$label' y='$($y + 4)' width='$([math]::Round((& $x $r.GoalUse) - $label, 1))' height='$($h - 8)' fill='$colour'/>")
            $ratio = $null -eq $r.Ratio ? '' : (' ratio {0:N2}x,' -f $r.Ratio)
            $text = "{0}{1} goal {2}" -f $(Format-Num $r.RJob), " $($r.Unit),$ratio", $r.Goal
        } else {
            $text = "n/a: $($r.Note)"
        }
        $null = $svg.AppendLine("<text x='$($label + $plot + 8)' y='$($y + 16)' fill='#333' font-size='11'>$(& $enc $text)</text>")
        $i++
    }
    $gx = & $x 1
    $null = $svg.AppendLine("<line x1='$gx' y1='$($top - 8)' x2='$gx' y2='$($top + $goals.Count * $h)' stroke='black' stroke-width='2' stroke-dasharray='5,3'/>")
    $null = $svg.AppendLine("<text x='$gx' y='$($top + $goals.Count * $h + 30)' text-anchor='middle'>goal</text>")
    $null = $svg.AppendLine('</svg>')
    [IO.File]::WriteAllText($Path, $svg.ToString())
}
