//go:build darwin && cgo

package notify

/*
#cgo CFLAGS: -x objective-c -fobjc-arc
#cgo LDFLAGS: -framework Foundation -framework UserNotifications
#include <stdlib.h>
#include <string.h>
#import <Foundation/Foundation.h>
#import <UserNotifications/UserNotifications.h>

// CBNotifyDelegate shows notifications while clawbridge is the active app (its
// menu was just used), which macOS otherwise holds back, and takes clicks.
@interface CBNotifyDelegate : NSObject <UNUserNotificationCenterDelegate>
@end

@implementation CBNotifyDelegate
- (void)userNotificationCenter:(UNUserNotificationCenter *)center
       willPresentNotification:(UNNotification *)notification
         withCompletionHandler:(void (^)(UNNotificationPresentationOptions))completionHandler {
	completionHandler(UNNotificationPresentationOptionBanner | UNNotificationPresentationOptionList);
}
- (void)userNotificationCenter:(UNUserNotificationCenter *)center
didReceiveNotificationResponse:(UNNotificationResponse *)response
         withCompletionHandler:(void (^)(void))completionHandler {
	completionHandler();
}
@end

static CBNotifyDelegate *cbDelegate;

// cb_in_bundle: 1 when this process runs from an .app bundle with a
// bundle identifier, which UNUserNotificationCenter requires (it raises
// an exception otherwise).
static int cb_in_bundle(void) {
	@autoreleasepool {
		NSBundle *b = [NSBundle mainBundle];
		return b.bundleIdentifier != nil && [b.bundlePath hasSuffix:@".app"];
	}
}

// cb_error copies msg for Go, which frees it.
static char *cb_error(NSString *msg) {
	return strdup(msg.UTF8String ? msg.UTF8String : "unknown error");
}

// cb_authorize installs the delegate and asks for permission (macOS asks
// the user once). It returns NULL when allowed, else why not.
static char *cb_authorize(void) {
	@autoreleasepool {
		UNUserNotificationCenter *c = [UNUserNotificationCenter currentNotificationCenter];
		if (cbDelegate == nil) {
			cbDelegate = [CBNotifyDelegate new];
			c.delegate = cbDelegate;
		}
		__block char *err = NULL;
		dispatch_semaphore_t done = dispatch_semaphore_create(0);
		[c requestAuthorizationWithOptions:(UNAuthorizationOptionAlert | UNAuthorizationOptionSound)
		                 completionHandler:^(BOOL granted, NSError *error) {
			if (error != nil) {
				err = cb_error(error.localizedDescription);
			} else if (!granted) {
				err = cb_error(@"not allowed: switch clawbridge on in System Settings > Notifications");
			}
			dispatch_semaphore_signal(done);
		}];
		if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW, 30 * NSEC_PER_SEC)) != 0) {
			return cb_error(@"no answer from the notification center within 30s");
		}
		return err;
	}
}

// cb_post shows one notification; NULL when the center took it.
static char *cb_post(const char *title, const char *body) {
	@autoreleasepool {
		UNMutableNotificationContent *content = [UNMutableNotificationContent new];
		content.title = [NSString stringWithUTF8String:title] ?: @"";
		content.body = [NSString stringWithUTF8String:body] ?: @"";
		UNNotificationRequest *req = [UNNotificationRequest requestWithIdentifier:[NSUUID UUID].UUIDString
		                                                                  content:content
		                                                                  trigger:nil];
		__block char *err = NULL;
		dispatch_semaphore_t done = dispatch_semaphore_create(0);
		[[UNUserNotificationCenter currentNotificationCenter] addNotificationRequest:req
		                                                       withCompletionHandler:^(NSError *error) {
			if (error != nil) {
				err = cb_error(error.localizedDescription);
			}
			dispatch_semaphore_signal(done);
		}];
		if (dispatch_semaphore_wait(done, dispatch_time(DISPATCH_TIME_NOW, 10 * NSEC_PER_SEC)) != 0) {
			return cb_error(@"no answer from the notification center within 10s");
		}
		return err;
	}
}
*/
import "C"

import (
	"errors"
	"strings"
	"sync/atomic"
	"unsafe"
)

// bundleSender sends through UNUserNotificationCenter when clawbridge
// runs from its app bundle (the only way macOS allows it), asking for
// permission until it is granted (macOS asks the user once, and answers
// later requests from the stored choice); nil for the bare binary.
func bundleSender() func(title, message string) error {
	if C.cb_in_bundle() == 0 {
		return nil
	}
	var authorized atomic.Bool
	return func(title, message string) error {
		if !authorized.Load() {
			if err := takeError(C.cb_authorize()); err != nil {
				return errors.New("notification center: " + err.Error())
			}
			authorized.Store(true)
		}
		ct, cm := C.CString(cString(title)), C.CString(cString(message))
		defer C.free(unsafe.Pointer(ct))
		defer C.free(unsafe.Pointer(cm))
		if err := takeError(C.cb_post(ct, cm)); err != nil {
			return errors.New("notification center: " + err.Error())
		}
		return nil
	}
}

// takeError turns a C error string (NULL for none) into an error and
// frees it.
func takeError(msg *C.char) error {
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// cString is s fit for C: valid UTF-8 (NSString rejects anything else)
// without NUL (which would end it).
func cString(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
