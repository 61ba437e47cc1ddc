package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/engine/schedule"
)

// missedPolicies are the values backup's missed argument accepts.
var missedPolicies = []string{"run_once", "skip"}

// backupSchedule decodes schedule, schedule_timezone, missed and jitter:
// when `velin daemon` runs the backup.
func (l *loader) backupSchedule(attrs hcl.Attributes, b *Backup) hcl.Diagnostics {
	b.Missed = "run_once"
	attr, ok := attrs["schedule"]
	if !ok {
		return l.unscheduled(attrs)
	}
	var diags hcl.Diagnostics
	var tz string
	if tzAttr, ok := attrs["schedule_timezone"]; ok {
		val, d, ok := l.evalAttr(tzAttr, cty.String)
		diags = append(diags, d...)
		if !ok {
			return diags
		}
		tz = val.AsString()
	}
	diags = append(diags, l.scheduleExpr(attr, tz, attrs["schedule_timezone"], b)...)
	if m, ok := attrs["missed"]; ok {
		diags = append(diags, l.missed(m, &b.Missed)...)
	}
	if j, ok := attrs["jitter"]; ok {
		diags = append(diags, l.duration(j, &b.Jitter)...)
	}
	return diags
}

// scheduleExpr parses the schedule; a bad time zone is reported on
// schedule_timezone, anything else on the schedule.
func (l *loader) scheduleExpr(attr *hcl.Attribute, tz string, tzAttr *hcl.Attribute, b *Backup) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	s, err := schedule.Parse(val.AsString(), tz)
	if err == nil {
		b.Schedule = s
		return nil
	}
	subject := attr.Expr.Range()
	if tzAttr != nil && tz != "" {
		if _, tzErr := schedule.Parse("@daily", tz); tzErr != nil {
			subject = tzAttr.Expr.Range()
		}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid schedule",
		Detail:   err.Error() + ".",
		Subject:  subject.Ptr(),
	}}
}

func (l *loader) missed(attr *hcl.Attribute, out *string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	s := val.AsString()
	if !contains(missedPolicies, s) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid missed",
			Detail:   fmt.Sprintf("missed must be %s, not %q.%s", quotedList(missedPolicies, "or"), s, didYouMean(s, missedPolicies)),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	*out = s
	return nil
}

// unscheduled rejects the schedule's companions without a schedule.
func (l *loader) unscheduled(attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range []string{"schedule_timezone", "missed", "jitter"} {
		if attr, ok := attrs[name]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Argument without a schedule",
				Detail:   fmt.Sprintf("%s only applies to a scheduled backup: add schedule = \"every 6h\" (or a cron expression), or remove %s.", name, name),
				Subject:  attr.NameRange.Ptr(),
			})
		}
	}
	return diags
}
