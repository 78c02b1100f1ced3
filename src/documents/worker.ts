import type { DocumentContent } from './content';
import { renderAndSign, type SignedDocument, type SignerKeys, type SigningOptions } from './sign';

/** One pool task: render and sign a document in a worker thread. */
export interface RenderTask {
  content: DocumentContent;
  identity: SignerKeys;
  signing: SigningOptions;
}

/** Piscina calls the default export with each task. */
export default function run(task: RenderTask): Promise<SignedDocument> {
  return renderAndSign(task.content, task.identity, task.signing);
}
