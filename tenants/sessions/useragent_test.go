package sessions_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"miniauth/tenants/sessions"
)

func TestSummarizeUA(t *testing.T) {
	for _, c := range []struct{ name, ua, want string }{
		{"iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
			"Mobile/15E148 MicroMessenger/8.0.50(0x1800323b) NetType/WIFI Language/zh_CN", "WeChat 8.0.50 iOS 17.5"},
		{"iPhone, three-part iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6_1 like Mac OS X) AppleWebKit/605.1.15 " +
			"(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2d) NetType/4G Language/zh_CN", "WeChat 8.0.44 iOS 16.6.1"},
		{"Android", "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 " +
			"(KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 " +
			"MMWEBID/2307 MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64 " +
			"MiniProgramEnv/android", "WeChat 8.0.49 Android 14"},
		{"Android, Huawei", "Mozilla/5.0 (Linux; Android 10; HMA-AL00 Build/HUAWEIHMA-AL00; wv) AppleWebKit/537.36 " +
			"(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5075 MMWEBSDK/20230805 " +
			"MMWEBID/9170 MicroMessenger/8.0.42.2460(0x28002A3B) WeChat/arm64 Weixin NetType/5G Language/zh_CN ABI/arm64",
			"WeChat 8.0.42 Android 10"},
		{"iPad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 " +
			"MicroMessenger/8.0.50(0x1800323b) NetType/WIFI Language/zh_CN", "WeChat 8.0.50 iPadOS 17.5"},
		{"Windows WeChat", "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) " +
			"Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) " +
			"WindowsWechat(0x63090a13) XWEB/9129 Flue", "WeChat 7.0.20 Windows"},
		{"Mac WeChat", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
			"MicroMessenger/6.8.0(0x16080000) MacWechat/3.8.7(0x13080712) XWEB/1191 Flue", "WeChat 6.8.0 macOS"},
		{"HarmonyOS", "Mozilla/5.0 (Phone; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 " +
			"Safari/537.36 ArkWeb/4.1.6.1 Mobile MicroMessenger/8.0.1.40(0xf2000128) NetType/WIFI Language/zh_CN",
			"WeChat 8.0.1 HarmonyOS 5.0"},
		{"devtools", "Mozilla/5.0 (iPhone; CPU iPhone OS 13_2_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
			"Version/13.0.3 Mobile/15E148 Safari/604.1 wechatdevtools/1.06.2405020 MicroMessenger/8.0.5 Language/zh_CN webview/",
			"WeChat devtools 1.06.2405020"},
		{"WeChat, no platform", "Mozilla/5.0 MicroMessenger/8.0.47", "WeChat 8.0.47"},
		{"WeChat, no version", "MicroMessenger/", "WeChat"},
		{"Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
			"Chrome/124.0.0.0 Safari/537.36", "Chrome 124 Windows"},
		{"Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
			"Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67", "Edge 124 Windows"},
		{"Safari", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
			"Version/17.4.1 Safari/605.1.15", "Safari 17.4 macOS"},
		{"Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox 125 Linux"},
		{"curl", "curl/8.5.0", "curl/8.5.0"},
		{"okhttp", "okhttp/4.12.0", "okhttp/4.12.0"},
		{"empty", "", ""},
		{"garbage", "\x00\x01 hello|world \t\r\n", "hello world"},
		{"over-long", strings.Repeat("A", 500), strings.Repeat("A", 40)},
		{"over-long, Chinese", strings.Repeat("微信", 30), strings.Repeat("微信", 6) + "微"},
		{"not UTF-8, WeChat", "Mozilla/5.0 \xff\xfe MicroMessenger/8.0.50", "WeChat 8.0.50"},
		{"not UTF-8, Latin-1", "caf\xe9 client/1.0", "caf client/1.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := sessions.SummarizeUA(c.ua)
			if got != c.want {
				t.Fatalf("SummarizeUA = %q, want %q", got, c.want)
			}
			if len(got) > 40 || !utf8.ValidString(got) {
				t.Fatalf("summary %q is over 40 bytes or not UTF-8", got)
			}
			// Entries written before summaries are summarized when read.
			if again := sessions.SummarizeUA(got); again != got {
				t.Fatalf("a summary summarizes to %q, not to itself", again)
			}
		})
	}
}
