package anthropic

import "encoding/json"

// The fast path of the request's own types (types.go), one read function
// per type, each the counterpart of json.Unmarshal into it: see
// jsonReader.
// Their field names must match the types' json tags; the differential
// fuzz test checks they do.

var messagesRequestFields = []string{"model", "max_tokens", "system", "messages", "tools", "tool_choice",
	"temperature", "top_p", "top_k", "stop_sequences", "stream", "thinking", "output_config"}

func readMessagesRequest(d *jsonReader, m *MessagesRequest) bool {
	return d.fields(messagesRequestFields, func(f int) bool {
		switch f {
		case 0:
			return readString(d, &m.Model)
		case 1:
			return readIntPtr(d, &m.MaxTokens)
		case 2:
			return readRaw(d, &m.System)
		case 3:
			return readRawArray(d, &m.Messages)
		case 4:
			return readRawArray(d, &m.Tools)
		case 5:
			return decodeRaw(d, &m.ToolChoice)
		case 6:
			return readFloatPtr(d, &m.Temperature)
		case 7:
			return readFloatPtr(d, &m.TopP)
		case 8:
			return readIntPtr(d, &m.TopK)
		case 9:
			return readStrings(d, &m.StopSequences)
		case 10:
			return readBool(d, &m.Stream)
		case 11:
			return decodeRaw(d, &m.Thinking)
		default:
			return decodeRaw(d, &m.OutputConfig)
		}
	})
}

var messageParamFields = []string{"role", "content"}

func readMessageParam(d *jsonReader, m *MessageParam) bool {
	return d.fields(messageParamFields, func(f int) bool {
		if f == 0 {
			return readString(d, &m.Role)
		}
		return readRaw(d, &m.Content)
	})
}

var requestBlockFields = []string{"type", "text", "source", "title", "id", "name", "input", "tool_use_id", "content", "is_error"}

func readRequestBlock(d *jsonReader, b *RequestBlock) bool {
	return d.fields(requestBlockFields, func(f int) bool {
		switch f {
		case 0:
			return readString(d, &b.Type)
		case 1:
			return readString(d, &b.Text)
		case 2:
			if d.null() {
				b.Source = nil
				return true
			}
			b.Source = new(BlockSource)
			return readBlockSource(d, b.Source)
		case 3:
			return readString(d, &b.Title)
		case 4:
			return readString(d, &b.ID)
		case 5:
			return readString(d, &b.Name)
		case 6:
			return readRaw(d, &b.Input)
		case 7:
			return readString(d, &b.ToolUseID)
		case 8:
			return readRaw(d, &b.Content)
		default:
			return readBool(d, &b.IsError)
		}
	})
}

var blockSourceFields = []string{"type", "media_type", "data", "url", "content"}

func readBlockSource(d *jsonReader, s *BlockSource) bool {
	return d.fields(blockSourceFields, func(f int) bool {
		switch f {
		case 0:
			return readString(d, &s.Type)
		case 1:
			return readString(d, &s.MediaType)
		case 2:
			return readString(d, &s.Data)
		case 3:
			return readString(d, &s.URL)
		default:
			return readRaw(d, &s.Content)
		}
	})
}

var toolParamFields = []string{"type", "name", "description", "input_schema"}

func readToolParam(d *jsonReader, t *ToolParam) bool {
	return d.fields(toolParamFields, func(f int) bool {
		switch f {
		case 0:
			return readString(d, &t.Type)
		case 1:
			return readString(d, &t.Name)
		case 2:
			return readString(d, &t.Description)
		default:
			return readRaw(d, &t.InputSchema)
		}
	})
}

// slowReadsOnly turns the fast path off, for the test that compares
// whole decodings both ways.
var slowReadsOnly = false

// readFast decodes raw into v on the fast path when v is one of the
// request's own types (trusted: raw is known to be valid JSON). False means v is another type, or raw needs
// encoding/json (for its value or its error); v is then left untouched,
// so encoding/json starts from the same zero value it always had.
func readFast(raw []byte, v any, trusted bool) bool {
	if slowReadsOnly {
		return false
	}
	switch v := v.(type) {
	case *MessageParam:
		return readInto(raw, trusted, v, readMessageParam)
	case *RequestBlock:
		return readInto(raw, trusted, v, readRequestBlock)
	case *ToolParam:
		return readInto(raw, trusted, v, readToolParam)
	case *MessagesRequest:
		return readInto(raw, trusted, v, readMessagesRequest)
	case *[]json.RawMessage:
		return readInto(raw, trusted, v, readRawArray)
	case *string:
		return readInto(raw, trusted, v, readString)
	}
	return false
}

// readInto reads all of raw with read into a fresh T and stores it in *v
// only if that succeeded.
func readInto[T any](raw []byte, trusted bool, v *T, read func(*jsonReader, *T) bool) bool {
	var t T
	if !whole(raw, trusted, func(d *jsonReader) bool { return read(d, &t) }) {
		return false
	}
	*v = t
	return true
}

// readFastArray decodes an array of T in one pass when T is one of the
// request's block types; false leaves *out untouched, as readFast does.
func readFastArray[T any](raw []byte, out *[]T, trusted bool) bool {
	if slowReadsOnly {
		return false
	}
	switch out := any(out).(type) {
	case *[]RequestBlock:
		return readInto(raw, trusted, out, func(d *jsonReader, list *[]RequestBlock) bool {
			return readList(d, list, readRequestBlock)
		})
	}
	return false
}

// readList reads an array (not null) of values, each with read.
func readList[T any](d *jsonReader, out *[]T, read func(*jsonReader, *T) bool) bool {
	list := []T{}
	ok := d.elements(func() bool {
		list = append(list, *new(T))
		return read(d, &list[len(list)-1])
	})
	*out = list
	return ok
}

// readNullableList reads null (out becomes nil) or an array of values,
// each with read.
func readNullableList[T any](d *jsonReader, out *[]T, read func(*jsonReader, *T) bool) bool {
	if d.null() {
		*out = nil
		return true
	}
	return readList(d, out, read)
}
