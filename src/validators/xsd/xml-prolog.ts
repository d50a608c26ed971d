/** The DOCTYPE check lives with the rest of the safe XML parsing, in core. */
export { checkXmlLimits, hasDoctype, XmlRefusedError } from '../../core/xml';
