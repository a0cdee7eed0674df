package alert_test

import (
	"testing"

	"github.com/ferrydata/ferry/alert"
)

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"webhooks":[{"name":"ops","format":"dingtalk","url":"https://oapi.dingtalk.com/robot/send?access_token=x","secret":"SEC1"}],"rules":[{"when":"failure"},{"when":"rows_below","rows":10,"webhooks":["ops"]}]}`))
	f.Add([]byte(`{"webhooks":[{"format":"slack","url":"https://hooks.slack.com/services/T/B/X"}],"rules":[{"when":"duration_over","duration":"2h"}],"timeout":1.5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := alert.ParseConfig(data)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted an invalid config: %v", err)
		}
		for _, r := range cfg.Rules {
			r.Fires(alert.Run{}) // must not panic without a Summary
		}
	})
}
