// Every public type of both entries, used as an app would; checked by the types matrix under
// each module/moduleResolution setting, strict or not. The @ts-expect-error lines prove the
// types are real (an `any` would make them fail).
import { type ClaimOptions, ExitCode, type Launch, SingleInstanceError, claim, exitCodeFor, extractDeepLink } from 'sole-instance';
import { type SingleInstanceOptions, singleInstance } from 'sole-instance/electron';
import { app, dialog } from 'electron';

export async function start(): Promise<number> {
  const options: ClaimOptions = { appId: 'com.example.types', data: { n: [1, 'two', null] } };
  const instance = await claim(options);
  if (instance.role === 'primary') {
    instance.onSecondInstance((launch: Launch) => launch.argv.length + (launch.cwd ?? '').length);
    return ExitCode.ok;
  }
  // @ts-expect-error: appId is required
  await claim({});
  // @ts-expect-error: data must be a JSON value
  await claim({ appId: 'a.b', data: new Date() });
  const electronOptions: SingleInstanceOptions = {
    app,
    dialog,
    appId: 'com.example.types',
    onSecondInstance: (launch: Launch) => ({ url: launch.url, file: launch.source === 'open-file' ? (launch.argv[0] ?? null) : null }),
    onQuitRequest: () => null,
    onHandedOver: ({ reply }) => (reply === null ? ExitCode.ok : ExitCode.failure),
  };
  const primary = await singleInstance(electronOptions);
  // @ts-expect-error: the Electron layer needs Electron's app
  await singleInstance({ dialog, appId: 'com.example.types' });
  void primary.endpoint;
  void extractDeepLink(['app', 'notes://x'], 'notes');
  return exitCodeFor(new SingleInstanceError('ETIMEOUT', 'x'));
}
