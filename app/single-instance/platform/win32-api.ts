/**
 * The Win32 calls the Windows backend needs, declared through koffi exactly as the Windows
 * headers declare them (a wrong prototype does not throw: it crashes the process). Loaded on
 * first use only. `GetLastError` is read straight after the call it belongs to; koffi keeps it
 * intact between the two calls.
 */
import { LockError } from '../errors.js';
import { type KoffiModule, loadKoffi } from './koffi.js';

/** A Win32 `HANDLE`; koffi 3 represents pointers as BigInt (`0n`/`null` for NULL). */
export type Handle = bigint | null;

/** `ERROR_ACCESS_DENIED`. */
export const ERROR_ACCESS_DENIED = 5;
/** `WaitForSingleObject`: the object was signalled; we own the mutex. */
export const WAIT_OBJECT_0 = 0;
/** `WaitForSingleObject`: the previous owner died holding it; we own it now. */
export const WAIT_ABANDONED = 0x80;
/** `WaitForSingleObject`: someone else owns it. */
export const WAIT_TIMEOUT = 0x102;

const TOKEN_QUERY = 0x0008;
const TOKEN_USER_CLASS = 1;
const TOKEN_INFO_BYTES = 256;

/** The bound functions. */
export interface Win32Api {
  CreateMutexW(attributes: null, initialOwner: number, name: string): Handle;
  WaitForSingleObject(handle: Handle, milliseconds: number): number;
  ReleaseMutex(handle: Handle): number;
  CloseHandle(handle: Handle): number;
  GetLastError(): number;
  AllowSetForegroundWindow(pid: number): number;
  /** The current user's SID as a string (`S-1-5-21-...`). */
  currentUserSid(): string;
  /** The Terminal Services session id of this process. */
  currentSessionId(): number;
  /** The user's Local AppData folder, as the known-folder API gives it (never `%LOCALAPPDATA%`). */
  localAppData(): string;
  /** A folder path's hash as the installer computes it (`RtlHashUnicodeString`, case-insensitive, X65599), 8 hex digits. */
  hashFolder(folder: string): string;
  /**
   * Creates (or opens) a mutex every user may open, and holds a handle to it without owning it:
   * a name whose existence says a process holds it. It asks only for `SYNCHRONIZE` (plain
   * `CreateMutexW` asks for all access, which the DACL denies another user once the mutex
   * exists). `null` when it cannot (see `GetLastError`).
   */
  openForEveryone(name: string): Handle;
}

/** Every user may hold a handle to it and wait on it (`SYNCHRONIZE` for Everyone), nothing more. */
const EVERYONE_MAY_OPEN = 'D:(A;;0x00100000;;;WD)';
/** The access a holder asks for: what the DACL grants everyone, so that any user's instance can open it once it exists. */
const SYNCHRONIZE = 0x00100000;
const SDDL_REVISION_1 = 1;
const HASH_STRING_ALGORITHM_X65599 = 1;

/** `FOLDERID_LocalAppData`, {F1B32785-6FBA-4FCF-9D55-7B8E7F157091}, as the bytes of a `GUID`. */
const FOLDERID_LOCAL_APP_DATA = Buffer.from('8527b3f1ba6fcf4f9d557b8e7f157091', 'hex');
/** `KF_FLAG_DONT_VERIFY`: give the path even if the folder does not exist yet. */
const KF_FLAG_DONT_VERIFY = 0x4000;

let binding: Promise<Win32Api> | undefined;

/** The Win32 API, loading koffi, kernel32, advapi32 and user32 on first call (and again on the next call after a failure). */
export function loadWin32Api(): Promise<Win32Api> {
  binding ??= loadKoffi()
    .then(bind)
    .catch((error: unknown) => {
      binding = undefined;
      throw error;
    });
  return binding;
}

function bind(koffi: KoffiModule): Win32Api {
  const kernel32 = koffi.load('kernel32.dll');
  const advapi32 = koffi.load('advapi32.dll');
  const user32 = koffi.load('user32.dll');
  const shell32 = koffi.load('shell32.dll');
  const ole32 = koffi.load('ole32.dll');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const GetCurrentProcess = kernel32.func('void * __stdcall GetCurrentProcess()');
  const GetCurrentProcessId = kernel32.func('uint32_t __stdcall GetCurrentProcessId()');
  const ProcessIdToSessionId = kernel32.func(
    'int __stdcall ProcessIdToSessionId(uint32_t dwProcessId, _Out_ uint32_t *pSessionId)',
  );
  const LocalFree = kernel32.func('void * __stdcall LocalFree(void *hMem)');
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void *hObject)');
  const OpenProcessToken = advapi32.func(
    'int __stdcall OpenProcessToken(void *ProcessHandle, uint32_t DesiredAccess, _Out_ void **TokenHandle)',
  );
  const GetTokenInformation = advapi32.func(
    'int __stdcall GetTokenInformation(void *TokenHandle, int TokenInformationClass, void *TokenInformation, ' +
      'uint32_t TokenInformationLength, _Out_ uint32_t *ReturnLength)',
  );
  const ConvertSidToStringSidW = advapi32.func(
    'int __stdcall ConvertSidToStringSidW(void *Sid, _Out_ void **StringSid)',
  );

  const failure = (what: string): LockError => {
    const error = GetLastError() as number;
    return new LockError(`${what} failed with Win32 error ${error}; the user's identity, which the lock's name carries, is unknown.`, { osCode: error });
  };

  const currentUserSid = (): string => {
    const token: Handle[] = [null];
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, token)) {
      throw failure('OpenProcessToken');
    }
    const info: bigint = koffi.alloc('uint8_t', TOKEN_INFO_BYTES);
    try {
      if (!GetTokenInformation(token[0], TOKEN_USER_CLASS, info, TOKEN_INFO_BYTES, [0])) {
        throw failure('GetTokenInformation(TokenUser)');
      }
      const text: Handle[] = [null];
      if (!ConvertSidToStringSidW(koffi.decode(info, 'void *'), text)) {
        throw failure('ConvertSidToStringSidW');
      }
      const sid = koffi.decode.string16(text[0]);
      LocalFree(text[0]);
      return sid;
    } finally {
      koffi.free(info);
      CloseHandle(token[0]);
    }
  };

  const currentSessionId = (): number => {
    const session = [0];
    if (!ProcessIdToSessionId(GetCurrentProcessId(), session)) {
      throw failure('ProcessIdToSessionId');
    }
    return session[0] ?? 0;
  };

  const SHGetKnownFolderPath = shell32.func(
    'int32_t __stdcall SHGetKnownFolderPath(const void *rfid, uint32_t dwFlags, void *hToken, _Out_ void **ppszPath)',
  );
  const CoTaskMemFree = ole32.func('void __stdcall CoTaskMemFree(void *pv)');
  const ntdll = koffi.load('ntdll.dll');
  const RtlInitUnicodeString = ntdll.func('void __stdcall RtlInitUnicodeString(void *DestinationString, const void *SourceString)');
  const RtlHashUnicodeString = ntdll.func(
    'int32_t __stdcall RtlHashUnicodeString(const void *String, uint8_t CaseInSensitive, uint32_t HashAlgorithm, _Out_ uint32_t *HashValue)',
  );
  const ConvertStringSecurityDescriptorToSecurityDescriptorW = advapi32.func(
    'int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *StringSecurityDescriptor, uint32_t StringSDRevision, ' +
      '_Out_ void **SecurityDescriptor, void *SecurityDescriptorSize)',
  );
  const SecurityAttributes = koffi.struct('SOLE_INSTANCE_SECURITY_ATTRIBUTES', { nLength: 'uint32_t', lpSecurityDescriptor: 'void *', bInheritHandle: 'int' });
  const CreateMutexExW = kernel32.func(
    'void * __stdcall CreateMutexExW(const SOLE_INSTANCE_SECURITY_ATTRIBUTES *lpMutexAttributes, const char16_t *lpName, uint32_t dwFlags, uint32_t dwDesiredAccess)',
  );

  const hashFolder = (folder: string): string => {
    const text = Buffer.from(`${folder}\0`, 'utf16le');
    const unicodeString = Buffer.alloc(16);
    RtlInitUnicodeString(unicodeString, text);
    const hash = [0];
    RtlHashUnicodeString(unicodeString, 1, HASH_STRING_ALGORITHM_X65599, hash);
    return ((hash[0] ?? 0) >>> 0).toString(16).padStart(8, '0');
  };

  const openForEveryone = (name: string): Handle => {
    const descriptor: Handle[] = [null];
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(EVERYONE_MAY_OPEN, SDDL_REVISION_1, descriptor, null)) {
      return null;
    }
    try {
      const attributes = { nLength: koffi.sizeof(SecurityAttributes), lpSecurityDescriptor: descriptor[0], bInheritHandle: 0 };
      return CreateMutexExW(attributes, name, 0, SYNCHRONIZE) as Handle;
    } finally {
      LocalFree(descriptor[0]);
    }
  };

  const localAppData = (): string => {
    const folder: Handle[] = [null];
    const result = SHGetKnownFolderPath(FOLDERID_LOCAL_APP_DATA, KF_FLAG_DONT_VERIFY, null, folder) as number;
    try {
      if (result !== 0 || !folder[0]) {
        throw new LockError(`SHGetKnownFolderPath(LocalAppData) failed with HRESULT 0x${(result >>> 0).toString(16)}; the user's profile is unavailable.`, { osCode: result });
      }
      return koffi.decode.string16(folder[0]);
    } finally {
      CoTaskMemFree(folder[0]);
    }
  };

  return {
    CreateMutexW: kernel32.func(
      'void * __stdcall CreateMutexW(void *lpMutexAttributes, int bInitialOwner, const char16_t *lpName)',
    ),
    WaitForSingleObject: kernel32.func('uint32_t __stdcall WaitForSingleObject(void *hHandle, uint32_t dwMilliseconds)'),
    ReleaseMutex: kernel32.func('int __stdcall ReleaseMutex(void *hMutex)'),
    CloseHandle,
    GetLastError,
    AllowSetForegroundWindow: user32.func('int __stdcall AllowSetForegroundWindow(uint32_t dwProcessId)'),
    currentUserSid,
    currentSessionId,
    localAppData,
    hashFolder,
    openForEveryone,
  };
}
