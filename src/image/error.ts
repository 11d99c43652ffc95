// ImageError: everything wrong with a checkpoint image or with writing one, as one line that names the
// file or blob and what is wrong (DESIGN.md §1: a damaged image is a user error, exit 1, no stack trace),
// like CRIU's "Error (criu/image.c): Unexpected EOF on img-file". The CLI prints the message alone.
import { AmberError } from '../base/error.js';

export class ImageError extends AmberError {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}
