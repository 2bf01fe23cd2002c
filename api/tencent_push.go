package api

import (
	"github.com/pushd/pushd/dispatcher"
)

// offlinePush maps today's OfflinePushInfo (S1) onto the job's
// offline_push, field for field. pushd validates the values afterwards
// (dispatcher.DecodeJob) and the error names the Tencent field. What pushd
// cannot honour (push templates, Live Activities) is refused rather than
// pushed differently.
func offlinePush(p *timPushInfo) (*dispatcher.OfflinePush, *timError) {
	out := &dispatcher.OfflinePush{Title: p.Title, Desc: p.Desc, Ext: p.Ext, BadgeAdd: p.BadgeAddNum, BadgeSet: p.BadgeSetNum}
	disable, err := flag01("OfflinePushInfo.PushFlag", p.PushFlag)
	if err != nil {
		return nil, err
	}
	out.Disable = disable
	if p.PushTemplateID != "" || p.PushTemplateParam != nil {
		return nil, timErr(faultPush, "OfflinePushInfo.PushTemplateId: pushd has no push templates; send Title and Desc")
	}
	for _, l := range p.MultiLanguageContent {
		out.Languages = append(out.Languages, dispatcher.LocalizedPush{Language: l.Language, Title: l.Title, Desc: l.Desc})
	}
	if a := p.AndroidInfo; a != nil {
		if err := androidPush(&out.Android, a); err != nil {
			return nil, err
		}
	}
	if a := p.ApnsInfo; a != nil {
		if err := apnsPush(out, a); err != nil {
			return nil, err
		}
	}
	if h := p.HarmonyInfo; h != nil {
		out.Harmony = dispatcher.HarmonyPush{Title: h.Title, Category: h.Category, Image: h.Image, Sound: h.Sound, SoundDuration: h.SoundDuration}
	}
	return out, nil
}

// androidPush maps AndroidInfo (S1 §1.2).
func androidPush(out *dispatcher.AndroidPush, a *timAndroidInfo) *timError {
	if f := a.ExtAsHuaweiIntentParam; f != nil && *f != 0 {
		return timErr(faultPush, "OfflinePushInfo.AndroidInfo.ExtAsHuaweiIntentParam: only 0 is supported: pushd delivers ext to Huawei in the message data as {\"ext\": …}")
	}
	*out = dispatcher.AndroidPush{
		Sound: a.Sound, PushStyle: a.PushStyle,
		OPPOChannelID: a.OPPOChannelID, OPPOCategory: a.OPPOCategory, OPPONotifyLevel: a.OPPONotifyLevel,
		OPPOPrivateTemplateID: a.OPPOPrivateMsgTemplateID, OPPOPrivateTitleParameters: a.OPPOPrivateTitleParameters,
		OPPOPrivateContentParams: a.OPPOPrivateContentParameters,
		XiaomiChannelID:          a.XiaoMiChannelID,
		HuaweiChannelID:          a.HuaWeiChannelID, HuaweiCategory: a.HuaWeiCategory, HuaweiImportance: a.HuaWeiImportance,
		HuaweiImage:     a.HuaWeiImage,
		HonorImportance: a.HonorImportance, HonorImage: a.HonorImage,
		VivoClassification: a.VIVOClassification, VivoCategory: a.VIVOCategory, VivoNotifyType: int(a.VIVONotifyType),
		MeizuNoticeMsgType: a.MeiZuNoticeMsgType,
		FCMChannelID:       a.GoogleChannelID, FCMImage: a.GoogleImage, FCMPriority: a.GooglePriority,
	}
	return nil
}

// apnsPush maps ApnsInfo (S1 §1.3): BadgeMode 1 does not raise the badge,
// Sound is the iOS sound, IsVoipPush makes a call push.
func apnsPush(out *dispatcher.OfflinePush, a *timApnsInfo) *timError {
	if a.LiveActivity != nil {
		return timErr(faultPush, "OfflinePushInfo.ApnsInfo.LiveActivity: pushd does not send Live Activity updates")
	}
	flags := []struct {
		name string
		v    *int
		dst  *bool
	}{
		{"BadgeMode", a.BadgeMode, &out.IgnoreIOSBadge},
		{"MutableContent", a.MutableContent, &out.APNs.MutableContent},
		{"ContentAvailable", a.ContentAvailable, &out.APNs.ContentAvailable},
		{"IsVoipPush", a.IsVoipPush, &out.VoIP},
	}
	for _, f := range flags {
		on, err := flag01("OfflinePushInfo.ApnsInfo."+f.name, f.v)
		if err != nil {
			return err
		}
		*f.dst = on
	}
	out.IOSSound = a.Sound
	out.APNs.Title, out.APNs.Subtitle, out.APNs.Image = a.Title, a.SubTitle, a.Image
	out.APNs.InterruptionLevel = a.InterruptionLevel
	return nil
}

// flag01 reads a Tencent 0/1 integer flag; absent is 0.
func flag01(name string, v *int) (bool, *timError) {
	switch {
	case v == nil || *v == 0:
		return false, nil
	case *v == 1:
		return true, nil
	}
	return false, timErr(faultPush, "%s: %d; must be 0 or 1", name, *v)
}
