/** Reserved field ids of a position delete file's columns (spec: "Position Delete Files", "Reserved Field IDs"). */
export const POSITION_DELETE_FILE_PATH_FIELD_ID = 2147483546;
export const POSITION_DELETE_POS_FIELD_ID = 2147483545;
