package api

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pushd/pushd/dispatcher"
)

// timElemKinds maps each MsgType of S5 §2 to pushd's element type and a
// fresh value of its MsgContent, decoded strictly. The push text of each is
// the seed's rendering (dispatcher.Render): the text itself, the custom
// element's Desc, a placeholder for the others.
var timElemKinds = map[string]struct {
	elem    string
	content func() any
}{
	"TIMTextElem":      {dispatcher.ElemText, func() any { return &timTextContent{} }},
	"TIMLocationElem":  {dispatcher.ElemLocation, func() any { return &timLocationContent{} }},
	"TIMFaceElem":      {dispatcher.ElemFace, func() any { return &timFaceContent{} }},
	"TIMCustomElem":    {dispatcher.ElemCustom, func() any { return &timCustomContent{} }},
	"TIMSoundElem":     {dispatcher.ElemSound, func() any { return &timSoundContent{} }},
	"TIMImageElem":     {dispatcher.ElemImage, func() any { return &timImageContent{} }},
	"TIMFileElem":      {dispatcher.ElemFile, func() any { return &timFileContent{} }},
	"TIMVideoFileElem": {dispatcher.ElemVideo, func() any { return &timVideoContent{} }},
	"TIMRelayElem":     {dispatcher.ElemMerger, func() any { return &timRelayContent{} }},
}

// timCustom is the message's custom element and where it sits.
type timCustom struct {
	content *timCustomContent
	path    string
}

// elems converts MsgBody into the job's elements and returns its custom
// element, if any: a message holds at most one (S5).
func (c *timConversion) elems(raw json.RawMessage) (*timCustom, *timError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, timErr(faultBody, "MsgBody: required (an array of {MsgType, MsgContent})")
	}
	if raw[0] != '[' {
		return nil, timErr(faultBody, "MsgBody: must be an array of {MsgType, MsgContent}")
	}
	var list []timElem
	if err := decodeTencent(raw, &list); err != nil {
		// CheckKeys' paths start with the index ("[0].Msgcontent");
		// encoding/json's name the key alone.
		info := strings.TrimPrefix(err.info, "body")
		if strings.HasPrefix(info, "[") || strings.HasPrefix(info, ":") {
			info = "MsgBody" + info
		} else {
			info = "MsgBody[]." + info
		}
		err.fault, err.info = faultBody, info
		return nil, err
	}
	if len(list) == 0 {
		return nil, timErr(faultBody, "MsgBody: at least one element is required")
	}
	var custom *timCustom
	for i, e := range list {
		path := fmt.Sprintf("MsgBody[%d]", i)
		el, content, err := decodeElem(path, e)
		if err != nil {
			return nil, err
		}
		if cc, ok := content.(*timCustomContent); ok {
			if custom != nil {
				return nil, timErr(faultBody, "%s: a message carries at most one TIMCustomElem", path)
			}
			custom = &timCustom{content: cc, path: path + ".MsgContent"}
		}
		c.job.Elems = append(c.job.Elems, el)
	}
	return custom, nil
}

// decodeElem decodes one element's MsgContent strictly for its MsgType.
func decodeElem(path string, e timElem) (dispatcher.Elem, any, *timError) {
	kind, ok := timElemKinds[e.MsgType]
	if !ok {
		return dispatcher.Elem{}, nil, timErr(faultBody, "%s.MsgType: unknown element type %q", path, e.MsgType)
	}
	if len(e.MsgContent) == 0 || string(e.MsgContent) == "null" {
		return dispatcher.Elem{}, nil, timErr(faultBody, "%s.MsgContent: required", path)
	}
	content := kind.content()
	if err := decodeTencent(e.MsgContent, content); err != nil {
		err.fault, err.info = faultBody, path+".MsgContent."+err.info
		return dispatcher.Elem{}, nil, err
	}
	el := dispatcher.Elem{Type: kind.elem}
	switch v := content.(type) {
	case *timTextContent:
		if v.Text == nil {
			return el, nil, timErr(faultBody, "%s.MsgContent.Text: required", path)
		}
		el.Text = *v.Text
	case *timCustomContent:
		el.Desc = v.Desc
	}
	return el, content, nil
}
