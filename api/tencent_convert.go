package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/dispatcher"
)

// The pure half of the /v4 routes: Tencent's REST bodies in, pushd's job
// contract out (docs/tencent.md). Nothing here touches Redis or HTTP.

// Limits Tencent sets that pushd keeps.
const (
	// timMaxBatch is batchsendmsg's recipient limit (S11, error 90011).
	timMaxBatch = 500
	// timMaxLifeTime is MsgLifeTime's cap: 7 days; more is capped (S9).
	timMaxLifeTime = 604800
	// timMaxRandom bounds MsgRandom, MsgSeq and Random: 32-bit unsigned.
	timMaxRandom = 1<<32 - 1
)

// timKind names a route in msg ids and errors.
type timKind string

const (
	kindSendMsg   timKind = "c2c"
	kindBatchSend timKind = "batch"
	kindGroup     timKind = "group"
)

// decodeTencent decodes b strictly into v (a *timC2CBody or *timGroupBody):
// the same rules as a pushd job (dispatcher.CheckKeys: no duplicate or
// case-variant key, valid UTF-8), no key outside the documented list, no
// trailing data. Errors name Tencent's field.
func decodeTencent(b []byte, v any) *timError {
	if len(bytes.TrimSpace(b)) == 0 {
		return timErr(faultJSON, "empty body")
	}
	if err := dispatcher.CheckKeys(b, v); err != nil {
		var fe *dispatcher.FieldError
		if errors.As(err, &fe) {
			return timErr(faultOf(fe.Field), "%s: %s", fe.Field, fe.Reason)
		}
		return timErr(faultFormat, "%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonTimError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return timErr(faultJSON, "trailing data after the JSON object")
	}
	return nil
}

// jsonTimError classifies an encoding/json error.
func jsonTimError(err error) *timError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = "body"
		}
		if f == "MsgLifeTime" {
			return timErr(faultLifeType, "MsgLifeTime: expected an integer, got JSON %s", te.Value)
		}
		return timErr(faultOf(f), "%s: expected %s, got JSON %s", f, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return timErr(faultJSON, "JSON parsing failed: %v", err)
	}
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name := strings.Trim(rest, `"`)
		return timErr(faultFormat, "%s: unknown field (docs/tencent.md lists the fields pushd accepts)", name)
	}
	return timErr(faultFormat, "%v", err)
}

// faultOf classifies a fault by the Tencent field it names.
func faultOf(path string) timFault {
	top, _, _ := strings.Cut(path, ".")
	top, _, _ = strings.Cut(top, "[")
	switch top {
	case "MsgBody":
		return faultBody
	case "To_Account":
		return faultTo
	case "From_Account":
		return faultFrom
	case "MsgRandom", "Random", "MsgSeq":
		return faultRandom
	case "MsgLifeTime":
		return faultLifeTime
	case "OfflinePushInfo":
		return faultPush
	case "GroupId":
		return faultGroup
	}
	return faultFormat
}

// timConversion is a job built from a Tencent body, with where its ext
// and sound came from when not from OfflinePushInfo (for error messages),
// and the batchsendmsg recipients refused one by one. job is nil when every
// recipient was refused.
type timConversion struct {
	job     *dispatcher.Job
	origin  map[string]string
	refused []TencentAccountError
}

// convertSendMsg converts a v4/openim/sendmsg body.
func convertSendMsg(app string, b []byte, now time.Time) (*timConversion, *timError) {
	var body timC2CBody
	if err := decodeTencent(b, &body); err != nil {
		return nil, err
	}
	to, err := sendMsgTarget(body.ToAccount)
	if err != nil {
		return nil, err
	}
	return c2cJob(app, kindSendMsg, &body, []string{to}, now)
}

// convertBatchSendMsg converts a v4/openim/batchsendmsg body.
func convertBatchSendMsg(app string, b []byte, now time.Time) (*timConversion, *timError) {
	var body timC2CBody
	if err := decodeTencent(b, &body); err != nil {
		return nil, err
	}
	to, refused, err := batchTargets(body.ToAccount)
	if err != nil {
		return nil, err
	}
	if len(to) == 0 {
		return &timConversion{refused: refused}, nil
	}
	c, err := c2cJob(app, kindBatchSend, &body, to, now)
	if err != nil {
		return nil, err
	}
	c.refused = refused
	return c, nil
}

// convertGroupMsg converts a v4/group_open_http_svc/send_group_msg body.
func convertGroupMsg(app string, b []byte, _ time.Time) (*timConversion, *timError) {
	var body timGroupBody
	if err := decodeTencent(b, &body); err != nil {
		return nil, err
	}
	return groupJob(app, &body)
}

// c2cJob builds the job of a sendmsg or batchsendmsg body to the already
// checked recipients to.
func c2cJob(app string, kind timKind, b *timC2CBody, to []string, now time.Time) (*timConversion, *timError) {
	if err := checkRandom("MsgRandom", b.MsgRandom, true); err != nil {
		return nil, err
	}
	if err := checkRandom("MsgSeq", b.MsgSeq, false); err != nil {
		return nil, err
	}
	c := &timConversion{job: &dispatcher.Job{AppID: app, Recipients: to}, origin: map[string]string{}}
	if err := c.common(b.common(), false); err != nil {
		return nil, err
	}
	if err := c.lifeTime(b.MsgLifeTime, now); err != nil {
		return nil, err
	}
	c.job.MsgID = timMsgID(kind, from(b.FromAccount), strings.Join(to, "\x00"), "", seq(b.MsgSeq), *b.MsgRandom, b.MsgBody)
	return c, nil
}

// groupJob builds the job of a send_group_msg body.
func groupJob(app string, b *timGroupBody) (*timConversion, *timError) {
	switch {
	case b.GroupID == "":
		return nil, timErr(faultGroup, "GroupId: required")
	case len(b.ToAccount) == 0:
		return nil, timErr(faultTo, "To_Account: required: pushd does not know group members, so the body lists "+
			"the members to push (those the message service found offline) in To_Account (docs/tencent.md)")
	}
	if err := checkRandom("Random", b.Random, true); err != nil {
		return nil, err
	}
	c := &timConversion{job: &dispatcher.Job{AppID: app, Recipients: uniqueIDs(b.ToAccount)}, origin: map[string]string{}}
	c.job.Group = &dispatcher.Group{ID: b.GroupID, Type: dispatcher.GroupPublic}
	if err := c.common(b.common(), true); err != nil {
		return nil, err
	}
	if err := c.groupOptions(b); err != nil {
		return nil, err
	}
	if err := c.msgPriority(b.MsgPriority); err != nil {
		return nil, err
	}
	c.job.MsgID = timMsgID(kindGroup, from(b.FromAccount), strings.Join(b.ToAccount, "\x00"), b.GroupID, "-", *b.Random, b.MsgBody)
	return c, nil
}

// common converts the fields every route shares.
func (c *timConversion) common(b *timCommon, group bool) *timError {
	if b.FromAccount != nil {
		c.job.Sender.UserID = *b.FromAccount
	}
	if err := c.profile(b.Pushd, group); err != nil {
		return err
	}
	custom, err := c.elems(b.MsgBody)
	if err != nil {
		return err
	}
	if err := c.controls(b.SendMsgControl); err != nil {
		return err
	}
	if b.OfflinePushInfo == nil {
		// Without OfflinePushInfo the custom element's Ext and Sound
		// are the push's (S5: once OfflinePushInfo is present, the push
		// settings of a TIMCustomElem are ignored).
		if custom != nil {
			c.job.OfflinePush.Ext, c.job.OfflinePush.IOSSound = custom.content.Ext, custom.content.Sound
			c.origin["offline_push.ext"] = custom.path + ".Ext"
			c.origin["offline_push.ios_sound"] = custom.path + ".Sound"
		}
		return nil
	}
	p, err := offlinePush(b.OfflinePushInfo)
	if err != nil {
		return err
	}
	c.job.OfflinePush = *p
	return nil
}

// profile applies pushd's Pushd extension: names Tencent reads from its
// own profile and group stores.
func (c *timConversion) profile(p *timPushdProfile, group bool) *timError {
	if p == nil {
		return nil
	}
	if !group && (p.NameCard != "" || p.GroupName != "" || p.GroupType != "") {
		return timErr(faultFormat, "Pushd: NameCard, GroupName and GroupType apply to send_group_msg only")
	}
	c.job.Sender.Nickname, c.job.Sender.NameCard = p.Nickname, p.NameCard
	if group {
		c.job.Group.Name = p.GroupName
		if p.GroupType != "" {
			c.job.Group.Type = p.GroupType
		}
	}
	return nil
}

// controls applies SendMsgControl (S9, S12): NoUnread excludes the message
// from the unread count; NoLastMsg, WithMuteNotifications and NoMsgCheck
// change nothing pushd does (docs/tencent.md).
func (c *timConversion) controls(cs []string) *timError {
	for i, v := range cs {
		switch v {
		case "NoUnread":
			c.job.ExcludedFromUnread = true
		case "NoLastMsg", "WithMuteNotifications", "NoMsgCheck":
		default:
			return timErr(faultFormat, "SendMsgControl[%d]: unknown value %q (want NoUnread, NoLastMsg or WithMuteNotifications)", i, v)
		}
	}
	return nil
}

// lifeTime maps MsgLifeTime (S9): 0 keeps the message online only (no
// offline push); 1–604800 seconds is the job's expiry; more is capped at
// 7 days as Tencent caps it; absent leaves pushd's default expiry.
func (c *timConversion) lifeTime(s *int64, now time.Time) *timError {
	switch {
	case s == nil:
		return nil
	case *s < 0:
		return timErr(faultLifeTime, "MsgLifeTime: %d; must be 0 to %d seconds", *s, timMaxLifeTime)
	case *s == 0:
		c.job.OnlineUserOnly = true
		return nil
	}
	t := now.Add(time.Duration(min(*s, timMaxLifeTime)) * time.Second)
	c.job.ExpireAt = &t
	return nil
}

// groupOptions applies OnlineOnlyFlag and GroupAtInfo (S12).
func (c *timConversion) groupOptions(b *timGroupBody) *timError {
	if f := b.OnlineOnlyFlag; f != nil {
		if *f != 0 && *f != 1 {
			return timErr(faultFormat, "OnlineOnlyFlag: %d; must be 0 or 1", *f)
		}
		c.job.OnlineUserOnly = *f == 1
	}
	for i, at := range b.GroupAtInfo {
		switch {
		case at.GroupAtAllFlag == 1:
			c.job.Mentions = append(c.job.Mentions, dispatcher.MentionAll)
		case at.GroupAtAllFlag != 0:
			return timErr(faultFormat, "GroupAtInfo[%d].GroupAtAllFlag: %d; must be 0 or 1", i, at.GroupAtAllFlag)
		case at.GroupAtAccount == "":
			return timErr(faultFormat, "GroupAtInfo[%d].GroupAt_Account: required when GroupAtAllFlag is 0", i)
		default:
			c.job.Mentions = append(c.job.Mentions, at.GroupAtAccount)
		}
	}
	return nil
}

// checkRandom checks a 32-bit unsigned MsgRandom, MsgSeq or Random.
func checkRandom(name string, v *int64, required bool) *timError {
	switch {
	case v == nil && required:
		return timErr(faultRandom, "%s: required (a 32-bit random number Tencent and pushd deduplicate on)", name)
	case v != nil && (*v < 0 || *v > timMaxRandom):
		return timErr(faultRandom, "%s: %d; must be a 32-bit unsigned integer", name, *v)
	}
	return nil
}

// timMsgID is the idempotency key of a Tencent body: a hash of the route,
// the sender, the recipients as given, the group, MsgSeq, the random number
// and the compacted MsgBody (docs/tencent.md says which fields per route).
// The same body posted twice is one job; Tencent's own key is close: sender
// + MsgSeq + MsgRandom + content for C2C, content + Random for groups (S8,
// S12).
func timMsgID(kind timKind, parts ...any) string {
	h := sha256.New()
	for _, p := range append([]any{string(kind)}, parts...) {
		s := fmt.Sprint(p)
		if raw, ok := p.(json.RawMessage); ok {
			var buf bytes.Buffer
			if json.Compact(&buf, raw) == nil {
				s = buf.String()
			}
		}
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return "tim-" + string(kind) + "-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// sendMsgTarget reads sendmsg's To_Account: one UserID (S9).
func sendMsgTarget(raw json.RawMessage) (string, *timError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", timErr(faultTo, "To_Account: required")
	}
	var to string
	if err := json.Unmarshal(raw, &to); err != nil {
		return "", timErr(faultTo, "To_Account: must be one UserID (a string); batchsendmsg takes a list")
	}
	if to == "" {
		return "", timErr(faultTo, "To_Account: required")
	}
	if err := dispatcher.CheckUserID("To_Account", to); err != nil {
		return "", timErr(faultAccount, "%v", err)
	}
	return to, nil
}

// batchTargets reads batchsendmsg's To_Account: 1 to 500 UserIDs (S11).
// Invalid ones are refused one by one in the ErrorList (20003: the UserID
// is invalid); repeated ones are pushed once.
func batchTargets(raw json.RawMessage) (to []string, refused []TencentAccountError, err *timError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, timErr(faultTo, "To_Account: required")
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, nil, timErr(faultToType, "To_Account: must be an array of UserIDs")
	}
	switch {
	case len(list) == 0:
		return nil, nil, timErr(faultToEmpty, "To_Account: the array is empty")
	case len(list) > timMaxBatch:
		return nil, nil, timErr(faultTooMany, "To_Account: %d accounts; at most %d", len(list), timMaxBatch)
	}
	for _, id := range uniqueIDs(list) {
		if dispatcher.CheckUserID("To_Account", id) != nil {
			refused = append(refused, TencentAccountError{ToAccount: id, ErrorCode: timC2CCodes[faultAccount]})
			continue
		}
		to = append(to, id)
	}
	return to, refused, nil
}

// from is From_Account, "" when absent.
func from(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// seq is MsgSeq as text, "-" when absent.
func seq(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

// uniqueIDs drops repeated user ids, keeping the first of each.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// timPriorities maps Tencent's group MsgPriority to the job's priority
// (docs/pipeline.md, "Priorities and fair shares"); Lowest is low.
var timPriorities = map[string]string{"High": "high", "Normal": "normal", "Low": "low", "Lowest": "low"}

// msgPriority sets the job's priority from a group message's MsgPriority;
// absent leaves the default (normal for a group, low for a broadcast room).
func (c *timConversion) msgPriority(raw json.RawMessage) *timError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil || timPriorities[v] == "" {
		return timErr(faultJSON, "MsgPriority: must be High, Normal, Low or Lowest")
	}
	c.job.Priority = timPriorities[v]
	return nil
}
