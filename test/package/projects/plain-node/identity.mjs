// One core whether the package is required or imported: the same classes, with their own names.
import { createRequire } from 'node:module';
import * as imported from 'sole-instance';
import * as importedElectron from 'sole-instance/electron';

const required = createRequire(import.meta.url)('sole-instance');
const names = ['SingleInstanceError', 'HandlerError', 'PrimaryNotRespondingError', 'MessageTooLargeError', 'NoReplyError'];
console.log(JSON.stringify({
  sameClasses: names.every((name) => imported[name] === required[name]),
  names: names.map((name) => new imported[name]('x').name),
  electronEntry: typeof importedElectron.singleInstance,
}));
