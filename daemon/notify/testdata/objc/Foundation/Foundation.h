// Minimal stand-in for Apple's Foundation: what bundle_cgo.go uses, with
// Apple's signatures, so clang can check the syntax, blocks and ARC rules.
#include <stddef.h>
#define nil ((id)0)
typedef signed char BOOL;
#define YES ((BOOL)1)
#define NO ((BOOL)0)
typedef unsigned long NSUInteger;
#define NS_OPTIONS(_type, _name) enum _name : _type _name; enum _name : _type
@protocol NSObject
@end
__attribute__((objc_root_class))
@interface NSObject <NSObject>
+ (instancetype)new;
+ (instancetype)alloc;
- (instancetype)init;
@end
@interface NSString : NSObject
+ (instancetype)stringWithUTF8String:(const char *)s;
@property (readonly) const char *UTF8String;
- (BOOL)hasSuffix:(NSString *)s;
@end
@interface NSError : NSObject
@property (readonly, copy) NSString *localizedDescription;
@end
@interface NSBundle : NSObject
+ (NSBundle *)mainBundle;
@property (readonly, copy) NSString *bundleIdentifier;
@property (readonly, copy) NSString *bundlePath;
@end
@interface NSUUID : NSObject
+ (instancetype)UUID;
@property (readonly, copy) NSString *UUIDString;
@end
