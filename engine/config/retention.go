package config

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var retentionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "keep_last"}, {Name: "keep_hourly"}, {Name: "keep_daily"},
		{Name: "keep_weekly"}, {Name: "keep_monthly"}, {Name: "keep_yearly"},
		{Name: "keep_within"}, {Name: "target"},
	},
}

func (l *loader) decodeRetention(blk *hcl.Block) (*Retention, hcl.Diagnostics) {
	r := &Retention{DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(retentionSchema)
	counts := []struct {
		name string
		out  *int
	}{
		{"keep_last", &r.KeepLast}, {"keep_hourly", &r.KeepHourly}, {"keep_daily", &r.KeepDaily},
		{"keep_weekly", &r.KeepWeekly}, {"keep_monthly", &r.KeepMonthly}, {"keep_yearly", &r.KeepYearly},
	}
	for _, c := range counts {
		if attr, ok := content.Attributes[c.name]; ok {
			diags = append(diags, l.evalInt(attr, c.out)...)
		}
	}
	if attr, ok := content.Attributes["keep_within"]; ok {
		diags = append(diags, l.keepWithin(attr, &r.KeepWithin)...)
	}
	if attr, ok := content.Attributes["target"]; ok {
		ref, d := l.ref(attr.Name, attr.Expr, "target")
		diags = append(diags, d...)
		if !d.HasErrors() {
			r.Target = &ref
		}
	}
	return r, diags
}

func (l *loader) keepWithin(attr *hcl.Attribute, out *time.Duration) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	d, err := ParseDuration(val.AsString())
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid keep_within",
			Detail:   fmt.Sprintf("%v. Write a number followed by a unit, like \"30d\", \"12h\" or \"2w\" (units: s, m, h, d, w; parts may be combined, as in \"1d12h\").", err),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = d
	return nil
}

// durationUnits are the units ParseDuration accepts.
var durationUnits = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour,
	'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour,
}

// ParseDuration reads a retention duration: one or more whole numbers each
// followed by a unit s, m, h, d (24 hours) or w (7 days), e.g. "30d",
// "12h", "2w", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("the duration is empty")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j == len(s) {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		unit, ok := durationUnits[s[j]]
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if !ok || err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("%q is too long", s)
		}
		total += time.Duration(n) * unit
		i = j + 1
	}
	return total, nil
}
