package api

import (
	"strings"
	"testing"
)

// FuzzTencentConvert feeds arbitrary bodies to each route's conversion:
// it never panics, a refusal always carries a Tencent code and names
// something, and an accepted body always yields a valid job with a tim- key.
func FuzzTencentConvert(f *testing.F) {
	for _, s := range []string{docSendMsg, docBatchSendMsg, docGroupMsg, docGroupAtMsg, docCustomMsg, `{}`, `[`, `{"MsgBody": [{}]}`} {
		f.Add(s)
	}
	routes := []timRoute{timSendMsgRoute, timBatchSendRoute, timGroupRoute}
	f.Fuzz(func(t *testing.T, body string) {
		for _, rt := range routes {
			conv, err := rt.convert(appA, []byte(body), timNow)
			if err == nil && conv.job != nil {
				var job any
				job, _, err = conv.validate(timNow)
				if err == nil && !strings.HasPrefix(conv.job.MsgID, "tim-") {
					t.Fatalf("accepted job %+v without a tim- key", job)
				}
			}
			if err != nil && (err.code(rt.codes) == 0 || err.info == "") {
				t.Fatalf("refusal without code or info: %+v", err)
			}
		}
	})
}
